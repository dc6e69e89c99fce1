using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Overwrite;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Heals inline objects, whose bytes are in their m + 1 manifest copies: every copy is read back
/// (CRCs, MAC, owner); when fewer than m + 1 are good, or a rack holds more than m of them, a good
/// copy's bytes are written as a fresh set of m + 1 copies on volumes the <see cref="PlacementPlanner"/>
/// chooses (<see cref="BlobStore.PlanForHeal"/>, then <see cref="ManifestWriter"/>), swapped in with a
/// compare-and-swap (<see cref="IMetadataStore.ReplaceObjectIfUnchangedAsync"/>); the old copies
/// become garbage and are overwritten. Thread-safe.
/// </summary>
internal sealed partial class InlineHealer(IMetadataStore store, BlobStore blobs, InlineCopies inline, GarbageCollector garbage, StorageClassCatalog classes,
    ManifestWriter manifests, OverwriteThrottle throttle, HealProgress progress, ILogger log)
{
    /// <summary>
    /// Heals <paramref name="record"/>, an inline object (it may be stale: the compare-and-swap then
    /// refuses it, <see cref="HealOutcome.Superseded"/>). Throws on metadata failure.
    /// </summary>
    public async Task<(HealOutcome Outcome, string? Detail)> HealAsync(ObjectRecord record, CancellationToken ct)
    {
        var segment = record.Segments[0];
        int m = segment.ParityShards, wanted = m + 1;
        var good = new List<Volume>();
        var problems = new List<string>();
        var unreachable = false;
        ReadOnlyMemory<byte>? bytes = null;
        for (var i = 0; i < record.Manifests.Count; i++)
        {
            var copy = record.Manifests[i];
            var (read, problem, damaged) = await inline.ReadAsync(copy, record, confirmOwner: true, ct);
            await throttle.WaitAsync(copy.Extent.Length, ct);
            if (read is { } b)
            {
                good.Add(blobs.FindVolume(copy.VolumeId)!);
                bytes ??= b;
            }
            else
            {
                unreachable |= !damaged;
                problems.Add($"copy {i}: {problem}");
            }
        }
        var crowded = blobs.Planner.Misplaced(good.Select(PlacementVolume.LabelsOf).ToList(), [], m).Count > 0;
        if (good.Count >= wanted && !crowded)
        {
            return (HealOutcome.Healthy, null);
        }
        var why = problems.Count > 0 ? string.Join("; ", problems) : crowded ? $"more than {m} copies in one rack" : $"{good.Count} of {wanted} copies";
        if (bytes is not { } sealedBytes)
        {
            return unreachable
                ? (HealOutcome.WaitingForVolumes, $"no copy is readable ({why})")
                : (HealOutcome.Unrecoverable, $"no copy is intact ({why})");
        }
        var storageClass = classes.All.FirstOrDefault(c => c.Name == record.StorageClass && c.ParityShards == m) ?? classes.Default;
        var placement = blobs.PlanForHeal(storageClass, segment.Length);
        if (!placement.Succeeded)
        {
            return (HealOutcome.WaitingForVolumes, placement.Failure.Message);
        }
        IReadOnlyList<ManifestCopy> fresh;
        try
        {
            fresh = await manifests.WriteObjectAsync(record with { Manifests = [] }, sealedBytes, placement.Plan.Volumes.Select(v => v.Id).ToList(), wanted, ct);
        }
        catch (IOException e)
        {
            return (HealOutcome.WaitingForVolumes, e.Message);
        }
        // Not cancellable: once the swap may have committed, the new copies must not be released.
        if (!await store.ReplaceObjectIfUnchangedAsync(record, record with { Manifests = fresh }, CancellationToken.None))
        {
            await manifests.ReleaseAsync(fresh);
            Superseded(log, record.Bucket, record.Key);
            return (HealOutcome.Superseded, null);
        }
        progress.ShardRebuilt(sealedBytes.Length * (long)fresh.Count);
        Healed(log, record.Bucket, record.Key, why, fresh.Count, string.Join(", ", fresh.Select(c => c.VolumeId)));
        await garbage.CollectAsync(ct);
        return (HealOutcome.Healed, null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Bucket}/{Key} changed while it was healed; the new copies were released.")]
    private static partial void Superseded(ILogger log, string bucket, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Healed {Bucket}/{Key}: {Why}; {Copies} fresh copies on volumes {Volumes}.")]
    private static partial void Healed(ILogger log, string bucket, string key, string why, int copies, string volumes);
}
