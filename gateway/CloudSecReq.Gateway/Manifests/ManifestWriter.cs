using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.RecordLog;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// Writes manifests to the volumes' logs so that the volumes describe themselves and
/// <c>csr metadata rebuild</c> can restore the database from them (issue 6, "Nothing single-homed").
/// An object's manifest goes to m + 1 volumes (m: its segments' parity shards) that the
/// <see cref="PlacementPlanner"/> chooses (<see cref="PlacementPlanner.PlanCopies"/>: the object's own
/// shard volumes first, spread over racks), so that losing any m volumes or any one rack leaves a
/// copy; a catalog snapshot goes to every usable volume. Appends are group-committed by
/// <see cref="ManifestLog"/>, so a copy costs a share of one fdatasync. Thread-safe.
/// </summary>
internal sealed partial class ManifestWriter(VolumeLogs logs, ManifestCodec codec, PlacementPlanner planner, TimeProvider clock, ILogger<ManifestWriter> log)
{
    private long _lastTicks;

    public VolumeLogs Logs => logs;

    /// <summary>The manifest of an object stored in shard files, on its shard volumes first; at least one copy.</summary>
    public Task<IReadOnlyList<ManifestCopy>> WriteObjectAsync(ObjectRecord record, CancellationToken ct) =>
        WriteObjectAsync(record, null, null, 1, ct);

    /// <summary>
    /// Appends <paramref name="record"/>'s manifest and returns once its copies are durable, with
    /// where they lie (to be stored in <see cref="ObjectRecord.Manifests"/>). A volume whose append
    /// fails is replaced by another. Throws <see cref="IOException"/> when fewer than
    /// <paramref name="minimumCopies"/> copies could be written, or when they would not survive the
    /// loss of one rack while the usable volumes span more than one; copies written until then are
    /// released first.
    /// </summary>
    /// <param name="inlineBytes">A small object's sealed bytes (its one segment is <see cref="DataSegment.Inline"/>): every copy carries them, so the copies are the object's storage.</param>
    /// <param name="preferredVolumes">Where the copies go first, one rack at a time (the placement plan of an inline object); by default the object's shard volumes.</param>
    /// <param name="minimumCopies">Fewer durable copies than this fail the write.</param>
    public async Task<IReadOnlyList<ManifestCopy>> WriteObjectAsync(ObjectRecord record, ReadOnlyMemory<byte>? inlineBytes,
        IReadOnlyList<string>? preferredVolumes, int minimumCopies, CancellationToken ct)
    {
        if (record.IsInline() != inlineBytes.HasValue)
        {
            throw new ArgumentException("An object's manifest carries its bytes exactly when its segment is inline.", nameof(inlineBytes));
        }
        var payload = codec.Encode(new ManifestRecord
        {
            Kind = ManifestRecord.ObjectKind,
            Id = Guid.NewGuid().ToString("N"),
            WrittenTicks = NextTicks(),
            Object = record with { Manifests = [] },
        }, inlineBytes);
        var parity = record.Segments.Count == 0 ? 1 : record.Segments.Max(s => s.ParityShards);
        var preferred = preferredVolumes ?? record.Segments.SelectMany(s => s.Shards).Select(s => s.VolumeId).Distinct().ToList();
        var usable = logs.Volumes.Where(v => v.IsUsable).ToDictionary(v => v.Id, StringComparer.Ordinal);
        var usableLabels = usable.Values.Select(PlacementVolume.LabelsOf).ToList();
        var candidates = new Queue<Volume>(planner.PlanCopies(usableLabels, preferred, Random.Shared).Select(v => usable[v.Id]));
        var written = new List<(ManifestCopy Copy, Volume Volume)>();
        var wanted = parity + 1;
        while (written.Count < wanted && candidates.Count > 0)
        {
            var batch = new List<Volume>();
            while (batch.Count < wanted - written.Count && candidates.TryDequeue(out var v))
            {
                batch.Add(v);
            }
            var results = await Task.WhenAll(batch.Select(v => TryAppendAsync(v, payload, ct)));
            written.AddRange(results.Zip(batch).Where(r => r.First is not null).Select(r => (r.First!, r.Second)));
        }
        var racks = written.Select(w => (w.Volume.Config.Site, w.Volume.Config.Rack)).Distinct().Count();
        if (written.Count < Math.Max(1, minimumCopies) || !planner.CopiesSurviveRackLoss(written.Select(w => PlacementVolume.LabelsOf(w.Volume)), usableLabels))
        {
            await ReleaseAsync(written.Select(w => w.Copy).ToList());
            throw new IOException($"The manifest of {record.Bucket}/{record.Key} could be stored on {written.Count} volumes in {racks} racks, " +
                $"not on {Math.Max(1, minimumCopies)} in two racks.");
        }
        if (written.Count < wanted)
        {
            TooFewCopies(log, record.Bucket, record.Key, written.Count, wanted);
        }
        return written.Select(w => w.Copy).ToList();
    }

    /// <summary>
    /// Appends a catalog snapshot to every usable volume's log; returns the durable copies (none when
    /// no volume is usable). Failures of single volumes are logged.
    /// </summary>
    public async Task<IReadOnlyList<ManifestCopy>> WriteCatalogAsync(CatalogSnapshot snapshot, CancellationToken ct)
    {
        var payload = codec.Encode(new ManifestRecord
        {
            Kind = ManifestRecord.CatalogKind,
            Id = Guid.NewGuid().ToString("N"),
            WrittenTicks = NextTicks(),
            Catalog = snapshot,
        });
        var results = await Task.WhenAll(logs.Volumes.Where(v => v.IsUsable).Select(v => TryAppendAsync(v, payload, ct)));
        return results.OfType<ManifestCopy>().ToList();
    }

    /// <summary>
    /// Overwrites copies that nothing references (a write whose metadata commit failed) at once,
    /// best effort: a copy that cannot be reached now stays behind, and a rebuild may find it.
    /// </summary>
    public async Task ReleaseAsync(IReadOnlyList<ManifestCopy> copies)
    {
        foreach (var copy in copies)
        {
            try
            {
                if (logs.Find(copy.VolumeId) is { } volumeLog)
                {
                    await volumeLog.OverwriteAsync(copy.Extent, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                OverwriteFailed(log, e, copy.VolumeId);
            }
        }
    }

    /// <summary>A generation or write time: UTC ticks, strictly increasing within this process.</summary>
    public long NextTicks()
    {
        var now = clock.GetUtcNow().UtcTicks;
        while (true)
        {
            var last = Volatile.Read(ref _lastTicks);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastTicks, next, last) == last)
            {
                return next;
            }
        }
    }

    private async Task<ManifestCopy?> TryAppendAsync(Volume volume, byte[] payload, CancellationToken ct)
    {
        if (logs.Find(volume.Id) is not { } volumeLog)
        {
            return null;
        }
        try
        {
            return new ManifestCopy(volume.Id, await volumeLog.AppendAsync(payload, ct));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            AppendFailed(log, e, volume.Id);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The manifest of {Bucket}/{Key} has {Copies} copies, not {Wanted}: too few usable volumes.")]
    private static partial void TooFewCopies(ILogger log, string bucket, string key, int copies, int wanted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Overwriting an unreferenced manifest on volume {VolumeId} failed.")]
    private static partial void OverwriteFailed(ILogger log, Exception e, string volumeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Appending a manifest to the log of volume {VolumeId} failed.")]
    private static partial void AppendFailed(ILogger log, Exception e, string volumeId);
}
