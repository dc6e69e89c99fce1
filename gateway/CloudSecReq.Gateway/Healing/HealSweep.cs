using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Finds work for the <see cref="Healer"/> without reading any file: every object, and every part of
/// an open upload, with a shard (or an inline copy) on a volume out of use or a shard file (or log
/// segment) that is gone is put on the heal queue. Thread-safe.
/// </summary>
internal sealed partial class HealSweep(IMetadataStore store, BlobStore blobs, HealProgress progress, TimeProvider clock, ILogger log)
{
    private readonly IMetadataStore _store = store;
    private readonly BlobStore _blobs = blobs;
    private readonly HealProgress _progress = progress;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _log = log;

    /// <summary>
    /// Queues every object, and every part of an open upload, that has a shard (or an inline copy) on a
    /// volume out of use or a shard file (or log segment) that is gone (a cheap check: no file is read).
    /// Returns how many it queued.
    /// Throws on metadata failure or cancellation.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var before = _progress.State;
        if (before == HealStatus.Idle)
        {
            _progress.SetState(HealStatus.Sweeping);
        }
        var queued = 0;
        try
        {
            await foreach (var record in ObjectWalk.AllAsync(_store, null, ct))
            {
                if (UnreachableShard(record) is { } reason)
                {
                    await _store.QueueHealAsync(new HealRequest(record.Bucket, record.Key, reason, _clock.GetUtcNow()), ct);
                    queued++;
                }
            }
            // Parts of open uploads are stored data too: a part left unhealed is lost to the object it completes into.
            await foreach (var (upload, part) in UploadWalk.AllPartsAsync(_store, ct))
            {
                if (!part.Segment.Inline && UnreachableShard(part.Segment) is { } reason)
                {
                    await _store.QueueHealAsync(new HealRequest(upload.Bucket, upload.Key, reason, _clock.GetUtcNow(), upload.UploadId, part.PartNumber), ct);
                    queued++;
                }
            }
        }
        finally
        {
            if (_progress.State == HealStatus.Sweeping)
            {
                _progress.SetState(before);
            }
        }
        _progress.Swept(queued);
        if (queued > 0)
        {
            SweepQueued(_log, queued);
        }
        return queued;
    }

    private string? UnreachableShard(ObjectRecord record)
    {
        if (record.IsInline())
        {
            var wanted = record.Segments[0].ParityShards + 1;
            foreach (var copy in record.Manifests)
            {
                if (!_blobs.HasVolume(copy.VolumeId))
                {
                    return $"a copy is on volume {copy.VolumeId}, which is not in use";
                }
                // A replaced disk's new log never has the old segment names (VolumeLogs.OpenLog).
                if (!File.Exists(Path.Combine(VolumeLogs.DirectoryOf(_blobs.FindVolume(copy.VolumeId)!), copy.Extent.Segment)))
                {
                    return $"the log segment of a copy is missing from volume {copy.VolumeId}";
                }
            }
            return record.Manifests.Count < wanted ? $"{record.Manifests.Count} of {wanted} copies" : null;
        }
        return record.Segments.Select(UnreachableShard).FirstOrDefault(reason => reason is not null);
    }

    private string? UnreachableShard(DataSegment segment)
    {
        for (var i = 0; i < segment.Shards.Count; i++)
        {
            var shard = segment.Shards[i];
            if (!_blobs.HasVolume(shard.VolumeId))
            {
                return $"shard {i} is on volume {shard.VolumeId}, which is not in use";
            }
            if (!File.Exists(_blobs.FindVolume(shard.VolumeId)!.BlobPath(shard.BlobId)))
            {
                return $"shard {i} is missing from volume {shard.VolumeId}";
            }
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The heal sweep queued {Count} objects with shards on volumes out of use or missing.")]
    private static partial void SweepQueued(ILogger log, int count);
}
