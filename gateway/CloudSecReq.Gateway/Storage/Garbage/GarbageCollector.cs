using System.Threading.Channels;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Overwrite;
using CloudSecReq.Gateway.Storage.RecordLog;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Storage.Garbage;

/// <summary>
/// Overwrites and then unlinks released space in the background (P2 6.2.2.6.1 b, e, f): blobs the
/// metadata no longer references, and the files <see cref="BlobStore"/> queues (failed writes,
/// blobs whose metadata commit failed).
/// <para>
/// Durably queued: the metadata records released blobs as garbage in the same transaction that
/// drops their reference, and a blob leaves the garbage table only after its overwrite and unlink
/// completed, so a crash in between redoes it at the next run (a blob already gone counts as done).
/// Released files live under a volume's <c>tmp/</c>, which is overwritten at start.
/// </para>
/// <para>
/// Bounded: one background loop, woken by <see cref="CollectAsync"/> (which the request path calls
/// after every delete or overwrite and which returns at once) and every few minutes, writes at most
/// <c>OverwriteBytesPerSecond</c> (csr.json). A blob still being read, or on a volume not in use
/// (fenced, or gone from csr.json), stays queued for a later pass.
/// </para>
/// Thread-safe. Disposing stops the loop; whatever it had not finished stays queued.
/// </summary>
internal sealed partial class GarbageCollector : IAsyncDisposable, IDisposable
{
    public const long DefaultOverwriteBytesPerSecond = 200L * 1024 * 1024;
    private const int BatchSize = 256;
    // Forget finished blobs at least this often, so that a crash redoes little (each forget is one
    // fsync'd metadata transaction, so not after every blob either).
    private const int ForgetEveryBlobs = 64;
    private static readonly TimeSpan s_forgetEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_retryInUse = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_retryAfterFailure = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_sweepEvery = TimeSpan.FromMinutes(5);

    private readonly IMetadataStore _store;
    private readonly BlobStore _blobs;
    private readonly VolumeLogs? _logs;
    private readonly ILogger<GarbageCollector> _log;
    private readonly OverwriteThrottle _throttle;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _loopLock = new();
    private Task? _loop;
    private bool _disposed;

    public GarbageCollector(IMetadataStore store, BlobStore blobs, ILogger<GarbageCollector> log)
        : this(store, blobs, DefaultOverwriteBytesPerSecond, log)
    {
    }

    /// <param name="overwriteBytesPerSecond">Pace of the background overwrite; 0 or less for unlimited.</param>
    /// <param name="logs">The volumes' manifest logs, where released manifest copies are overwritten; null: manifests stay queued.</param>
    /// <param name="clock">Paces the overwrite and times the batches; the system clock when null.</param>
    public GarbageCollector(IMetadataStore store, BlobStore blobs, long overwriteBytesPerSecond, ILogger<GarbageCollector> log, VolumeLogs? logs = null,
        TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _store = store;
        _blobs = blobs;
        _logs = logs;
        _log = log;
        _throttle = new OverwriteThrottle(overwriteBytesPerSecond, _clock);
        _blobs.FileReleased += OnFileReleased;
    }

    /// <summary>
    /// Wakes the background loop (starting it on first use) and returns at once: the request that
    /// released space does not wait for it to be overwritten. <paramref name="ct"/> is not used by
    /// the loop, which runs until the collector is disposed.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE0060:Remove unused parameter", Justification = "Kept so that callers pass their token should the call ever wait; see the summary.")]
    public Task CollectAsync(CancellationToken ct)
    {
        Nudge();
        return Task.CompletedTask;
    }

    /// <summary>
    /// One pass in the caller's task: overwrites and unlinks every queued released file and every
    /// blob in the garbage table, forgetting each blob only once it is gone. Waits for a pass of the
    /// background loop under way. Throws on metadata failure or cancellation; what was not finished
    /// stays queued.
    /// </summary>
    public async Task<CollectionResult> CollectNowAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            var files = await OverwriteReleasedFilesAsync(ct);
            var blobs = await OverwriteGarbageAsync(ct);
            var manifests = await OverwriteManifestGarbageAsync(ct);
            return new CollectionResult(files.Overwritten + blobs.Overwritten, files.InUse + blobs.InUse,
                files.Failed + blobs.Failed + manifests.Failed, blobs.Unreachable + manifests.Unreachable, manifests.Overwritten);
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>
    /// Holds off every pass (the background loop's and <see cref="CollectNowAsync"/>) until the returned
    /// handle is disposed, after a pass under way has finished; released space stays as it is meanwhile.
    /// For tests that look at what lies on disk before the overwrite (StoredDataTests).
    /// </summary>
    internal async Task<IDisposable> PauseAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        return new PassHold(_pass);
    }

    private sealed class PassHold(SemaphoreSlim pass) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                pass.Release();
            }
        }
    }

    private async Task<CollectionResult> OverwriteReleasedFilesAsync(CancellationToken ct)
    {
        int overwritten = 0, inUse = 0, failed = 0;
        var again = new List<string>();
        try
        {
            while (_blobs.TryTakeReleasedFile(out var path))
            {
                try
                {
                    switch (await FileOverwriter.OverwriteAndDeleteAsync(path, _throttle, ct))
                    {
                        case OverwriteOutcome.Overwritten:
                            overwritten++;
                            break;
                        case OverwriteOutcome.InUse:
                            inUse++;
                            again.Add(path);
                            break;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    FileOverwriteFailed(_log, e, path);
                    failed++;
                    again.Add(path);
                }
                catch
                {
                    again.Add(path);
                    throw;
                }
            }
        }
        finally
        {
            foreach (var path in again)
            {
                _blobs.RequeueReleasedFile(path);
            }
        }
        return new CollectionResult(overwritten, inUse, failed);
    }

    private async Task<CollectionResult> OverwriteGarbageAsync(CancellationToken ct)
    {
        int overwritten = 0, failed = 0, unreachableBlobs = 0;
        var unreachable = new HashSet<string>();
        var waiting = new HashSet<(string VolumeId, string BlobId)>();
        var done = new List<ShardBlob>();
        var sinceForget = _clock.GetTimestamp();
        try
        {
            while (true)
            {
                // The garbage table has no cursor: ask for enough rows to see past the ones left waiting.
                var batch = (await _store.ListGarbageAsync(BatchSize + waiting.Count, ct))
                    .Where(s => !waiting.Contains((s.VolumeId, s.BlobId)))
                    .ToList();
                if (batch.Count == 0)
                {
                    break;
                }
                foreach (var blob in batch)
                {
                    if (!_blobs.HasVolume(blob.VolumeId))
                    {
                        // Fenced or removed from csr.json: kept queued, so that a re-admitted volume
                        // still gets its released blobs overwritten.
                        unreachable.Add(blob.VolumeId);
                        unreachableBlobs++;
                        waiting.Add((blob.VolumeId, blob.BlobId));
                        continue;
                    }
                    try
                    {
                        switch (await _blobs.OverwriteAndDeleteAsync(blob, _throttle, ct))
                        {
                            case OverwriteOutcome.Overwritten:
                                overwritten++;
                                done.Add(blob);
                                break;
                            case OverwriteOutcome.AlreadyGone:
                                done.Add(blob);
                                break;
                            case OverwriteOutcome.InUse:
                                waiting.Add((blob.VolumeId, blob.BlobId));
                                break;
                        }
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        BlobOverwriteFailed(_log, e, blob.BlobId, blob.VolumeId);
                        failed++;
                        waiting.Add((blob.VolumeId, blob.BlobId));
                    }
                    if (done.Count >= ForgetEveryBlobs || (done.Count > 0 && _clock.GetElapsedTime(sinceForget) >= s_forgetEvery))
                    {
                        await _store.ForgetGarbageAsync(done, ct);
                        done.Clear();
                        sinceForget = _clock.GetTimestamp();
                    }
                }
                if (done.Count > 0)
                {
                    await _store.ForgetGarbageAsync(done, ct);
                    done.Clear();
                    sinceForget = _clock.GetTimestamp();
                }
            }
        }
        finally
        {
            if (done.Count > 0)
            {
                // Interrupted (cancellation): what is gone need not be redone, but redoing it is harmless.
                try
                {
                    await _store.ForgetGarbageAsync(done, CancellationToken.None);
                }
                catch (Exception e)
                {
                    ForgettingFailed(_log, e);
                }
            }
        }
        if (unreachable.Count > 0)
        {
            BlobsUnreachable(_log, unreachableBlobs, string.Join(", ", unreachable));
        }
        return new CollectionResult(overwritten, waiting.Count - failed - unreachableBlobs, failed, unreachableBlobs);
    }

    /// <summary>
    /// Overwrites released manifest copies in their volume's log (<see cref="ManifestLog.OverwriteAsync(IReadOnlyList{LogExtent}, CancellationToken)"/>)
    /// and forgets them once done, so that a metadata rebuild does not bring back deleted or replaced
    /// objects and their bytes do not linger. The result's <see cref="CollectionResult.Overwritten"/>
    /// counts manifest copies here.
    /// </summary>
    private async Task<CollectionResult> OverwriteManifestGarbageAsync(CancellationToken ct)
    {
        if (_logs is null)
        {
            return new CollectionResult(0, 0, 0);
        }
        int overwritten = 0, failed = 0, unreachable = 0;
        var waiting = new HashSet<ManifestCopy>();
        while (true)
        {
            var batch = (await _store.ListManifestGarbageAsync(BatchSize + waiting.Count, ct)).Where(m => !waiting.Contains(m)).ToList();
            if (batch.Count == 0)
            {
                break;
            }
            var done = new List<ManifestCopy>();
            // One fdatasync per log and batch, not per copy: deleting small objects releases many.
            foreach (var onVolume in batch.GroupBy(c => c.VolumeId))
            {
                var copies = onVolume.ToList();
                if (_logs.Find(onVolume.Key) is not { } log)
                {
                    unreachable += copies.Count;
                    waiting.UnionWith(copies);
                    continue;
                }
                await _throttle.WaitAsync(copies.Sum(c => (long)c.Extent.Length), ct);
                Exception?[] results;
                try
                {
                    results = await log.OverwriteAsync(copies.Select(c => c.Extent).ToList(), ct);
                }
                catch (ObjectDisposedException e)
                {
                    results = copies.Select(_ => (Exception?)e).ToArray();
                }
                for (var i = 0; i < copies.Count; i++)
                {
                    switch (results[i])
                    {
                        case null:
                            overwritten++;
                            done.Add(copies[i]);
                            break;
                        case FileNotFoundException or DirectoryNotFoundException:
                            done.Add(copies[i]); // the segment is gone, and the record with it
                            break;
                        case InvalidDataException or ArgumentException:
                            // The extent names no record of that length: nothing of it can be overwritten safely.
                            ManifestMismatch(_log, results[i], copies[i].VolumeId);
                            done.Add(copies[i]);
                            break;
                        default:
                            ManifestOverwriteFailed(_log, results[i], copies[i].VolumeId);
                            failed++;
                            waiting.Add(copies[i]);
                            break;
                    }
                }
            }
            if (done.Count > 0)
            {
                await _store.ForgetManifestGarbageAsync(done, CancellationToken.None);
            }
        }
        if (unreachable > 0)
        {
            ManifestsUnreachable(_log, unreachable);
        }
        return new CollectionResult(overwritten, 0, failed, unreachable);
    }

    private void OnFileReleased(object? sender, EventArgs e) => Nudge();

    private void Nudge()
    {
        lock (_loopLock)
        {
            if (_disposed)
            {
                return;
            }
            _loop ??= Task.Run(RunAsync);
        }
        _wake.Writer.TryWrite(true);
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            TimeSpan next;
            try
            {
                var result = await CollectNowAsync(ct);
                next = result.Failed > 0 ? s_retryAfterFailure : result.InUse > 0 ? s_retryInUse : s_sweepEvery;
                if (result.Unreachable > 0)
                {
                    // Each pass lists past the blobs left waiting: at most one such pass per interval,
                    // however many deletes wake the loop.
                    await Task.Delay(s_retryInUse, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                PassFailed(_log, e, s_retryAfterFailure.TotalSeconds);
                next = s_retryAfterFailure;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(next);
            try
            {
                await _wake.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // timer or stop; the loop condition tells which
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_loopLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            loop = _loop;
        }
        _blobs.FileReleased -= OnFileReleased;
        await _stop.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }
        _stop.Dispose();
        _pass.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Overwriting released file {Path} failed; it stays queued.")]
    private static partial void FileOverwriteFailed(ILogger log, Exception e, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Overwriting released blob {BlobId} on volume {VolumeId} failed; it stays queued.")]
    private static partial void BlobOverwriteFailed(ILogger log, Exception e, string blobId, string volumeId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgetting finished blobs after an interruption failed; the next run skips them as already gone.")]
    private static partial void ForgettingFailed(ILogger log, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} released blobs are on volumes not in use ({Volumes}): they stay queued until the volume is back.")]
    private static partial void BlobsUnreachable(ILogger log, int count, string volumes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A released manifest on volume {VolumeId} does not match its log; dropped.")]
    private static partial void ManifestMismatch(ILogger log, Exception? e, string volumeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Overwriting a released manifest on volume {VolumeId} failed; it stays queued.")]
    private static partial void ManifestOverwriteFailed(ILogger log, Exception? e, string volumeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} released manifests are on volumes not in use: they stay queued until the volume is back.")]
    private static partial void ManifestsUnreachable(ILogger log, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Overwriting released space failed; retrying in {Seconds} s.")]
    private static partial void PassFailed(ILogger log, Exception e, double seconds);
}
