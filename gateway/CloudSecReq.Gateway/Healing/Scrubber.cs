using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Overwrite;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Walks every object, then every part of an open multipart upload, in the background and verifies each of its shard files end to end
/// (<see cref="ShardVerifier"/>: header, every block's CRC-32C, exact length, and that the header is
/// this segment's), or, for an inline object, each manifest copy that holds its bytes (CRCs, MAC), queueing objects with a missing or faulty shard for the <see cref="Healer"/>
/// (<see cref="HealQueue"/>). Shards on volumes out of use are left to the healer's sweep.
/// <para>
/// Paced by <c>ScrubBytesPerSecond</c> (csr.json; 0 turns the background walk off) so that foreground
/// traffic keeps priority. The walk goes one page of objects at a time and keeps its position in memory,
/// so <see cref="ScrubNowAsync"/> can run in between and the walk resumes where it stopped. A new
/// background pass starts at most every <c>ScrubIntervalHours</c> after the previous one started
/// (immediately when a pass takes longer).
/// </para>
/// Thread-safe. Disposing stops the walk.
/// </summary>
internal sealed partial class Scrubber : IAsyncDisposable
{
    public const long DefaultScrubBytesPerSecond = 20L * 1024 * 1024;
    public const int DefaultIntervalHours = 24;

    private readonly IMetadataStore _store;
    private readonly BlobStore _blobs;
    private readonly InlineCopies _inline;
    private readonly HealQueue _queue;
    private readonly HealProgress _progress;
    private readonly OverwriteThrottle _throttle;
    private readonly TimeSpan _passInterval;
    private readonly TimeProvider _clock;
    private readonly ILogger<Scrubber> _log;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startLock = new();
    private Task? _loop;
    private bool _disposed;

    /// <param name="bytesPerSecond">Pace of the background walk; 0 or less turns it off (<see cref="ScrubNowAsync"/> then runs unpaced).</param>
    /// <param name="passInterval">Shortest time between the starts of two background passes.</param>
    public Scrubber(IMetadataStore store, BlobStore blobs, InlineCopies inline, HealQueue queue, HealProgress progress, long bytesPerSecond, TimeSpan passInterval, TimeProvider clock, ILogger<Scrubber> log)
    {
        _store = store;
        _blobs = blobs;
        _inline = inline;
        _queue = queue;
        _progress = progress;
        _throttle = new OverwriteThrottle(bytesPerSecond, clock);
        _passInterval = passInterval;
        _clock = clock;
        _log = log;
    }

    public bool IsEnabled => _throttle.BytesPerSecond > 0;

    /// <summary>Starts the background walk when enabled; later calls do nothing.</summary>
    public void Start()
    {
        lock (_startLock)
        {
            if (_disposed || _loop is not null || !IsEnabled)
            {
                return;
            }
            _loop = Task.Run(RunAsync);
        }
    }

    /// <summary>
    /// One full pass over every object in the caller's task, at the configured pace (waiting for the
    /// page of the background walk under way): verifies every shard and queues the objects with a
    /// fault. Returns what it checked and found. Throws on metadata or I/O failure, or cancellation.
    /// </summary>
    public async Task<ScrubPass> ScrubNowAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            var pass = new ScrubPass { StartedAt = _clock.GetUtcNow() };
            _progress.ScrubStarted();
            await foreach (var record in ObjectWalk.AllAsync(_store, null, ct))
            {
                pass = Add(pass, await ScrubObjectAsync(record, ct));
                _progress.ScrubChecked(pass);
            }
            pass = await ScrubPartsAsync(pass, ct);
            Finish(pass);
            return pass with { FinishedAt = _clock.GetUtcNow() };
        }
        finally
        {
            _pass.Release();
        }
    }

    private void Finish(ScrubPass pass)
    {
        _progress.ScrubFinished(pass);
        // A pass that found faults is a warning; a clean one is news only.
        PassDone(_log, pass.FaultyShards > 0 ? LogLevel.Warning : LogLevel.Information,
            pass.ObjectsChecked, pass.ShardsChecked, pass.BytesChecked, pass.FaultyShards, pass.ObjectsQueued);
    }

    private static ScrubPass Add(ScrubPass pass, ScrubPass one) => pass with
    {
        ObjectsChecked = pass.ObjectsChecked + one.ObjectsChecked,
        ShardsChecked = pass.ShardsChecked + one.ShardsChecked,
        BytesChecked = pass.BytesChecked + one.BytesChecked,
        FaultyShards = pass.FaultyShards + one.FaultyShards,
        ObjectsQueued = pass.ObjectsQueued + one.ObjectsQueued,
    };

    private async Task<ScrubPass> ScrubObjectAsync(ObjectRecord record, CancellationToken ct)
    {
        long shards = 0, bytes = 0;
        var faults = new List<string>();
        if (record.IsInline())
        {
            // The copies are the object's storage: each is read back (CRCs, MAC) like a shard.
            for (var i = 0; i < record.Manifests.Count; i++)
            {
                var copy = record.Manifests[i];
                if (!_blobs.HasVolume(copy.VolumeId))
                {
                    continue;
                }
                shards++;
                // Paced as at least 64 KiB a copy: a small record costs a seek and a metadata lookup,
                // not its bytes, and thousands of them a second would compete with foreground reads.
                await _throttle.WaitAsync(Math.Max(copy.Extent.Length, 64 * 1024), ct);
                bytes += copy.Extent.Length;
                if ((await _inline.ReadAsync(copy, record, confirmOwner: true, ct)).Problem is { } problem)
                {
                    faults.Add($"copy {i}: {problem}");
                }
            }
        }
        foreach (var segment in record.Segments)
        {
            var (checkedShards, read) = await ScrubSegmentAsync(segment, faults, ct);
            shards += checkedShards;
            bytes += read;
        }
        var queued = 0;
        if (faults.Count > 0 && await StillStoredAsync(record, ct))
        {
            await _queue.ReportAsync(record.Bucket, record.Key, "scrub: " + string.Join("; ", faults.Take(4)));
            queued = 1;
        }
        return new ScrubPass { ObjectsChecked = 1, ShardsChecked = shards, BytesChecked = bytes, FaultyShards = faults.Count, ObjectsQueued = queued };
    }

    // Every shard on a volume in use, verified end to end; what is wrong goes to `faults`.
    private async Task<(long Shards, long Bytes)> ScrubSegmentAsync(DataSegment segment, List<string> faults, CancellationToken ct)
    {
        long shards = 0, bytes = 0;
        for (var i = 0; i < segment.Shards.Count; i++)
        {
            if (!_blobs.HasVolume(segment.Shards[i].VolumeId))
            {
                continue;
            }
            shards++;
            var check = await ShardCheck.CheckAsync(_blobs, segment, i, _throttle, ct);
            bytes += check.BytesRead;
            if (check.Problem is not null)
            {
                faults.Add($"shard {i}: {check.Problem}");
            }
        }
        return (shards, bytes);
    }

    // Issue 11: parts of open uploads are verified like objects (each counts as one object checked),
    // so that bitrot in a part is healed before CompleteMultipartUpload commits it.
    private async Task<ScrubPass> ScrubPartsAsync(ScrubPass pass, CancellationToken ct)
    {
        await foreach (var (upload, part) in UploadWalk.AllPartsAsync(_store, ct))
        {
            if (part.Segment.Inline)
            {
                continue;
            }
            var faults = new List<string>();
            var (shards, bytes) = await ScrubSegmentAsync(part.Segment, faults, ct);
            var queued = 0;
            if (faults.Count > 0 && await PartStillStoredAsync(part, ct))
            {
                await _queue.ReportPartAsync(upload.Bucket, upload.Key, upload.UploadId, part.PartNumber, "scrub: " + string.Join("; ", faults.Take(4)));
                queued = 1;
            }
            pass = Add(pass, new ScrubPass { ObjectsChecked = 1, ShardsChecked = shards, BytesChecked = bytes, FaultyShards = faults.Count, ObjectsQueued = queued });
            _progress.ScrubChecked(pass);
        }
        return pass;
    }

    // A part uploaded again, or its upload completed or aborted, during its check: its old shards are released, not faulty.
    private async Task<bool> PartStillStoredAsync(UploadPart part, CancellationToken ct) =>
        (await _store.ListPartsAsync(part.UploadId, part.PartNumber - 1, 1, ct)).Items.FirstOrDefault(p => p.PartNumber == part.PartNumber) is { } now
        && now.Segment.Shards.SequenceEqual(part.Segment.Shards);

    // An object overwritten or deleted during its check loses its old shards: not a fault.
    private async Task<bool> StillStoredAsync(ObjectRecord record, CancellationToken ct) =>
        await _store.GetObjectAsync(record.Bucket, record.Key, ct) is { } now
        && now.Segments.Count == record.Segments.Count
        && now.Segments.Zip(record.Segments).All(p => p.First.Shards.SequenceEqual(p.Second.Shards))
        && (!record.IsInline() || now.Manifests.SequenceEqual(record.Manifests));

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        (string Bucket, string Key)? cursor = null;
        ScrubPass? pass = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    if (pass is null)
                    {
                        pass = new ScrubPass { StartedAt = _clock.GetUtcNow() };
                        cursor = null;
                        _progress.ScrubStarted();
                    }
                    var more = false;
                    await _pass.WaitAsync(ct);
                    try
                    {
                        var page = 0;
                        await foreach (var record in ObjectWalk.AllAsync(_store, cursor, ct))
                        {
                            pass = Add(pass, await ScrubObjectAsync(record, ct));
                            _progress.ScrubChecked(pass);
                            cursor = (record.Bucket, record.Key);
                            if (++page == ObjectWalk.PageSize)
                            {
                                more = true;
                                break;
                            }
                        }
                    }
                    finally
                    {
                        _pass.Release();
                    }
                    if (more)
                    {
                        continue;
                    }
                    await _pass.WaitAsync(ct);
                    try
                    {
                        pass = await ScrubPartsAsync(pass, ct);
                    }
                    finally
                    {
                        _pass.Release();
                    }
                    Finish(pass);
                    var wait = pass.StartedAt + _passInterval - _clock.GetUtcNow();
                    pass = null;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _clock, ct);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    ScrubbingFailed(_log, e);
                    _progress.Error("scrub: " + e.GetBaseException().Message);
                    await Task.Delay(TimeSpan.FromMinutes(1), _clock, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_startLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            loop = _loop;
        }
        await _stop.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }
        _stop.Dispose();
        _pass.Dispose();
    }

    [LoggerMessage(Message = "Scrub pass done: {Objects} objects, {Shards} shards, {Bytes} bytes checked; {Faulty} faulty shards, {Queued} objects queued for healing.")]
    private static partial void PassDone(ILogger log, LogLevel level, long objects, long shards, long bytes, long faulty, long queued);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scrubbing failed; resuming in a minute where it stopped.")]
    private static partial void ScrubbingFailed(ILogger log, Exception e);
}
