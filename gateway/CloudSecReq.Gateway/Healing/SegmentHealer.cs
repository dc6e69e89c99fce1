using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Overwrite;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Heals segments stored in shard files: an object's, or a part's of an open multipart upload. Every
/// shard is checked (volume in use, file present, <see cref="ShardVerifier"/> healthy, header of this
/// segment). Healing goes stripe by stripe: it needs at most m bad blocks in every stripe (a file
/// missing or with a wrong header is bad in all), however many shard files hold one. Shards that fail,
/// and shards beyond m in one rack (a degraded write, <see cref="PlacementPlanner.Misplaced"/>), are
/// rewritten in one pass with <see cref="StripeReader.RebuildShardsAsync"/>, which uses the good blocks
/// of every readable file, damaged ones included, onto the volumes that
/// <see cref="PlacementPlanner.PlanHealTargets"/> chooses. When no volume keeps the placement rule the
/// segment waits, <see cref="HealOutcome.WaitingForVolumes"/>: the rule is never broken to heal. The
/// new shards replace the old in the metadata with a compare-and-swap
/// (<see cref="IMetadataStore.SwapSegmentAsync"/>, <see cref="IMetadataStore.SwapPartSegmentAsync"/>),
/// so an object overwritten or deleted meanwhile is not clobbered (the new blobs are released
/// instead), and the replaced blobs become garbage in the same transaction, overwritten by the
/// <see cref="GarbageCollector"/> once their volume is reachable. Does not touch the heal queue
/// except to report faults found in shards it did not replace. Thread-safe.
/// </summary>
internal sealed partial class SegmentHealer(IMetadataStore store, BlobStore blobs, HealQueue queue, GarbageCollector garbage, StorageClassCatalog classes,
    ManifestWriter manifests, OverwriteThrottle throttle, HealProgress progress, ILogger log)
{
    /// <summary>
    /// Heals every segment of <paramref name="record"/>, an object stored in shard files (it may be stale:
    /// the compare-and-swap then refuses it, <see cref="HealOutcome.Superseded"/>); the worst segment's
    /// outcome is the object's. After a heal the object's manifests are written afresh. Throws on I/O or
    /// metadata failure; shards written before are released.
    /// </summary>
    public async Task<(HealOutcome Outcome, string? Detail)> HealObjectAsync(ObjectRecord record, CancellationToken ct)
    {
        var outcome = HealOutcome.Healthy;
        string? detail = null;
        var healed = false;
        var name = $"{record.Bucket}/{record.Key}";
        foreach (var segment in record.Segments)
        {
            var (o, d) = await HealSegmentAsync(name, record.StorageClass, segment,
                replacement => store.SwapSegmentAsync(record.Bucket, record.Key, segment, replacement, CancellationToken.None),
                reason => queue.ReportAsync(record.Bucket, record.Key, reason), ct);
            if (o == HealOutcome.Superseded)
            {
                return (o, d);
            }
            healed |= o == HealOutcome.Healed;
            // The worst of the segments decides whether the object stays queued.
            if (o > outcome)
            {
                (outcome, detail) = (o, d);
            }
        }
        if (healed)
        {
            await RefreshManifestsAsync(record.Bucket, record.Key, ct);
        }
        return (outcome, detail);
    }

    /// <summary>
    /// Heals the part of an open upload that <paramref name="request"/> names, like an object's segment (a
    /// part has no manifests on the volumes); <see cref="HealOutcome.Superseded"/> when the part is gone.
    /// </summary>
    public async Task<(HealOutcome Outcome, string? Detail)> HealPartAsync(HealRequest request, CancellationToken ct)
    {
        var upload = await store.GetUploadAsync(request.Bucket, request.UploadId!, ct);
        var part = upload is null || upload.Key != request.Key
            ? null
            : (await store.ListPartsAsync(request.UploadId!, request.PartNumber - 1, 1, ct)).Items.FirstOrDefault(p => p.PartNumber == request.PartNumber);
        if (upload is null || part is null || part.Segment.Inline)
        {
            return (HealOutcome.Superseded, null);
        }
        return await HealSegmentAsync(request.Name, upload.StorageClass, part.Segment,
            replacement => store.SwapPartSegmentAsync(part.UploadId, part.PartNumber, part.Segment, replacement, CancellationToken.None),
            reason => queue.ReportPartAsync(upload.Bucket, upload.Key, upload.UploadId, part.PartNumber, reason), ct);
    }

    /// <summary>
    /// Heals one segment named <paramref name="name"/> in logs. <paramref name="swap"/> is the
    /// compare-and-swap that puts the replacement in the metadata (not cancellable: once it may have
    /// committed, the new blobs must stay); <paramref name="reportMore"/> queues the owner again for
    /// faults found in shards that were not replaced.
    /// </summary>
    private async Task<(HealOutcome Outcome, string? Detail)> HealSegmentAsync(string name, string storageClassName, DataSegment segment,
        Func<DataSegment, Task<bool>> swap, Func<string, Task> reportMore, CancellationToken ct)
    {
        int n = segment.Shards.Count, k = segment.DataShards, m = segment.ParityShards;
        var storageClass = classes.All.FirstOrDefault(c => c.Name == storageClassName && c.DataShards == k && c.ParityShards == m);
        var bad = new SortedDictionary<int, string>();
        for (var i = 0; i < n; i++)
        {
            if (!blobs.HasVolume(segment.Shards[i].VolumeId))
            {
                bad[i] = $"volume {segment.Shards[i].VolumeId} is not in use";
            }
        }
        // Before reading anything: a segment that cannot be healed now costs no I/O on every retry.
        if (bad.Count > m)
        {
            return (HealOutcome.WaitingForVolumes, $"only {n - bad.Count} of {n} shards are on volumes in use ({k} needed to rebuild, {n - m} to heal)");
        }
        var shardVolumes = segment.Shards.Select(s => blobs.FindVolume(s.VolumeId) is { } v ? PlacementVolume.LabelsOf(v) : null).ToList();
        if (bad.Count > 0 && PlanTargets(segment, shardVolumes, [.. bad.Keys], storageClass) is { Succeeded: false } early)
        {
            return (HealOutcome.WaitingForVolumes, early.WaitReason);
        }
        // Shards whose file cannot be read at all, and the bad blocks of the others: a segment is healed
        // stripe by stripe, so what counts is the bad blocks of each stripe, not the bad shard files.
        var unusable = new HashSet<int>(bad.Keys);
        var badBlocks = new Dictionary<long, int>();
        for (var i = 0; i < n; i++)
        {
            if (bad.ContainsKey(i))
            {
                continue;
            }
            var check = await ShardCheck.CheckAsync(blobs, segment, i, throttle, ct);
            if (check.Problem is null)
            {
                continue;
            }
            bad[i] = check.Problem;
            if (check.BadStripes is null)
            {
                unusable.Add(i);
                continue;
            }
            foreach (var stripe in check.BadStripes)
            {
                badBlocks[stripe] = badBlocks.GetValueOrDefault(stripe) + 1;
            }
        }
        var misplaced = blobs.Planner.Misplaced(shardVolumes, bad.Keys, m);
        if (bad.Count == 0 && misplaced.Count == 0)
        {
            return (HealOutcome.Healthy, null);
        }
        var worst = badBlocks.Count == 0 ? default : badBlocks.MaxBy(b => b.Value);
        if (unusable.Count + worst.Value > m)
        {
            var text = $"{bad.Count} of {n} shards are bad ({string.Join("; ", bad.Select(b => $"shard {b.Key}: {b.Value}"))}); " +
                $"stripe {worst.Key} has {unusable.Count + worst.Value} bad blocks, at most {m} can be rebuilt";
            return bad.Keys.Any(i => !blobs.HasVolume(segment.Shards[i].VolumeId))
                ? (HealOutcome.WaitingForVolumes, text)
                : (HealOutcome.Unrecoverable, text);
        }
        List<int> replace = [.. bad.Keys, .. misplaced];
        var plan = PlanTargets(segment, shardVolumes, replace, storageClass);
        if (!plan.Succeeded)
        {
            return (HealOutcome.WaitingForVolumes, plan.WaitReason);
        }
        var targets = plan.Volumes.ToDictionary(t => t.Key, t => blobs.FindVolume(t.Value.Id)!);

        // All shards to replace are written in one pass over the stripes: every readable file is a
        // source (a damaged one for its good blocks, each checked against its CRC-32C before use).
        var written = new List<ShardBlob>();
        var shards = segment.Shards.ToList();
        var moreFaults = new List<ShardFault>();
        var sources = new Stream?[n];
        var writers = new List<BlobWriter>();
        try
        {
            var paced = new Stream?[n];
            for (var j = 0; j < n; j++)
            {
                if (!unusable.Contains(j))
                {
                    sources[j] = blobs.TryOpenRead(segment.Shards[j]);
                    paced[j] = sources[j] is { } s ? new PacedStream(s, throttle) : null;
                }
            }
            foreach (var i in replace)
            {
                writers.Add(blobs.CreateBlob(targets[i], NewBlobId(segment.Shards[i].BlobId, i)));
            }
            var reader = new StripeReader(Codecs.For(k, m));
            var result = await reader.RebuildShardsAsync(paced, replace, writers.Select(b => (Stream)new PacedStream(b.File, throttle)).ToList(), ct);
            for (var t = 0; t < replace.Count; t++)
            {
                var committed = await writers[t].CommitAsync(ct);
                written.Add(committed);
                shards[replace[t]] = committed;
                progress.ShardRebuilt(result.BytesWritten);
            }
            // Faults of the shards just replaced were expected; others need another heal.
            moreFaults.AddRange(result.Faults.Where(f => !replace.Contains(f.ShardIndex)));
        }
        catch
        {
            foreach (var blob in written)
            {
                blobs.Delete(blob);
            }
            throw;
        }
        finally
        {
            foreach (var blob in writers)
            {
                await blob.DisposeAsync();
            }
            foreach (var source in sources)
            {
                if (source is not null)
                {
                    await source.DisposeAsync();
                }
            }
        }

        var replacement = segment with { Shards = shards };
        // Not cancellable: once the swap may have committed, the new blobs must not be released.
        if (!await swap(replacement))
        {
            foreach (var blob in written)
            {
                blobs.Delete(blob);
            }
            Superseded(log, name);
            return (HealOutcome.Superseded, null);
        }
        Healed(log, name, string.Join("; ", replace.Select(i => $"shard {i} ({(bad.TryGetValue(i, out var r) ? r : "misplaced")}) rebuilt on volume {targets[i].Id}")));
        await garbage.CollectAsync(ct);
        if (moreFaults.Count > 0)
        {
            await reportMore("healing found more faults: " + string.Join("; ", moreFaults.Take(4).Select(f => $"shard {f.ShardIndex}: {f.Kind}")));
        }
        return (HealOutcome.Healed, null);
    }

    // The placement planner decides; free space is read now, once per usable volume.
    private HealTargets PlanTargets(DataSegment segment, IReadOnlyList<PlacementVolume?> shardVolumes, IReadOnlyList<int> replace, StorageClass? storageClass) =>
        blobs.Planner.PlanHealTargets(blobs.Volumes.Where(v => v.IsUsable).Select(PlacementVolume.OfOrNoRoom).ToList(), shardVolumes, replace,
            segment.ParityShards, storageClass, segment.ShardFileBytes);

    /// <summary><c>{segment}.{i}.h{random}</c>: beside the original (same directory prefix), never equal to it.</summary>
    private static string NewBlobId(string oldBlobId, int shardIndex) =>
        $"{oldBlobId.Split('.')[0]}.{shardIndex}.h{Guid.NewGuid().ToString("N")[..8]}";

    // The object's manifests on the volumes still name the replaced shards: write fresh ones, so that a
    // metadata rebuild finds the healed layout. On failure the old manifests stay (they still name at
    // least k good shards, and the next sweep heals again after a rebuild).
    private async Task RefreshManifestsAsync(string bucket, string key, CancellationToken ct)
    {
        if (await store.GetObjectAsync(bucket, key, ct) is not { } current)
        {
            return;
        }
        try
        {
            var fresh = current with { Manifests = await manifests.WriteObjectAsync(current, ct) };
            if (!await store.ReplaceObjectIfUnchangedAsync(current, fresh, CancellationToken.None))
            {
                await manifests.ReleaseAsync(fresh.Manifests);
            }
        }
        catch (IOException e)
        {
            FreshManifestsFailed(log, e, bucket, key);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name} changed while it was healed; the rebuilt shards were released.")]
    private static partial void Superseded(ILogger log, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Healed {Name}: {Shards}.")]
    private static partial void Healed(ILogger log, string name, string shards);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing fresh manifests of healed {Bucket}/{Key} failed; the old ones stay.")]
    private static partial void FreshManifestsFailed(ILogger log, Exception e, string bucket, string key);
}
