using System.Threading.Channels;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Overwrite;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Rebuilds missing, corrupt and misplaced shards and inline copies (P2 recovery from partial hardware
/// damage): the heal queue's loop. Each queued object or upload part goes to the
/// <see cref="SegmentHealer"/> (shard files) or the <see cref="InlineHealer"/> (inline copies); healed,
/// healthy and vanished ones leave the queue, the others stay.
/// <para>
/// Work comes from the heal queue in the metadata (<see cref="HealQueue"/>: reads, writes and the
/// <see cref="Scrubber"/> report there, so a restart loses nothing) and from a <see cref="HealSweep"/>:
/// at start, every <c>HealSweepMinutes</c>, and whenever a volume comes back
/// (<see cref="VolumeMonitor.VolumeReturned"/>). A pass with objects waiting for volumes, or failing,
/// is retried after 30 s; a new queue entry wakes the loop unless objects wait for volumes (each read
/// of them queues them again).
/// </para>
/// <para>
/// All shard and copy I/O goes through one <see cref="OverwriteThrottle"/> at <c>HealBytesPerSecond</c>,
/// so foreground traffic keeps priority. Progress is kept in <see cref="Progress"/> and written to
/// <c>DATA/heal-status.json</c> by a <see cref="HealStatusWriter"/> (<c>csr heal status</c>).
/// </para>
/// Thread-safe. Disposing stops the loops; what was not finished stays queued.
/// </summary>
internal sealed partial class Healer : IAsyncDisposable
{
    public const long DefaultHealBytesPerSecond = 100L * 1024 * 1024;
    public const int DefaultSweepMinutes = 60;
    private const int BatchSize = 64;
    private static readonly TimeSpan s_retryWaiting = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_retryAfterFailure = TimeSpan.FromSeconds(30);

    private readonly IMetadataStore _store;
    private readonly HealQueue _queue;
    private readonly VolumeMonitor _monitor;
    private readonly SegmentHealer _segments;
    private readonly InlineHealer _inline;
    private readonly HealSweep _sweep;
    private readonly HealStatusWriter? _status;
    private readonly TimeSpan _sweepInterval;
    private readonly TimeProvider _clock;
    private readonly ILogger<Healer> _log;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startLock = new();
    private Task? _loop;
    private Task? _statusLoop;
    private int _sweepRequested;
    private bool _disposed;

    /// <param name="healBytesPerSecond">Pace of all shard reads and writes of the healer; 0 or less for unlimited.</param>
    /// <param name="sweepInterval">How often the sweep over every object runs besides start and returning volumes.</param>
    /// <param name="statusPath">Where to write the status (<see cref="HealStatusFile"/>); null to keep it in memory only.</param>
    public Healer(IMetadataStore store, BlobStore blobs, HealQueue queue, VolumeMonitor monitor, GarbageCollector garbage, StorageClassCatalog classes,
        HealProgress progress, long healBytesPerSecond, TimeSpan sweepInterval, string? statusPath, TimeProvider clock, ILogger<Healer> log,
        ManifestWriter manifests, InlineCopies inline)
    {
        _store = store;
        _queue = queue;
        _monitor = monitor;
        Progress = progress;
        var throttle = new OverwriteThrottle(healBytesPerSecond, clock);
        _segments = new SegmentHealer(store, blobs, queue, garbage, classes, manifests, throttle, progress, log);
        _inline = new InlineHealer(store, blobs, inline, garbage, classes, manifests, throttle, progress, log);
        _sweep = new HealSweep(store, blobs, progress, clock, log);
        _status = statusPath is null ? null : new HealStatusWriter(store, progress, statusPath, log);
        _sweepInterval = sweepInterval;
        _clock = clock;
        _log = log;
        _queue.Queued += OnQueued;
        _monitor.VolumeReturned += OnVolumeReturned;
    }

    /// <summary>Live progress of the healer (and of the scrubber, which shares it).</summary>
    public HealProgress Progress { get; }

    /// <summary>
    /// Raised after every pass over the queue ends (of the background loop or <see cref="HealNowAsync"/>),
    /// however it ended, on the thread that ran it and after the next pass may start: what waits for
    /// healing re-checks here instead of polling.
    /// </summary>
    public event EventHandler? PassEnded;

    /// <summary>Starts the background loop (a sweep, then the queue) and the status writer; later calls do nothing.</summary>
    public void Start()
    {
        lock (_startLock)
        {
            if (_disposed || _loop is not null)
            {
                return;
            }
            _loop = Task.Run(RunAsync);
            _statusLoop = _status is null ? null : Task.Run(() => _status.RunAsync(_stop.Token));
        }
    }

    /// <summary>
    /// One pass over the heal queue in the caller's task (waiting for a pass of the background loop
    /// under way): heals every queued object and upload part it can, takes healed, healthy and vanished
    /// ones off the queue, and leaves the others queued. Throws on metadata failure or cancellation.
    /// </summary>
    public async Task<HealPassResult> HealNowAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            int healed = 0, done = 0, waiting = 0, failed = 0;
            string? waitingReason = null;
            var skipped = new HashSet<(string Bucket, string Key, string? UploadId, int PartNumber)>();
            Progress.SetQueued(await _store.CountHealQueueAsync(ct));
            try
            {
                while (true)
                {
                    // The queue has no cursor: ask for enough rows to see past the ones left queued.
                    var batch = (await _store.ListHealQueueAsync(BatchSize + skipped.Count, ct))
                        .Where(r => !skipped.Contains((r.Bucket, r.Key, r.UploadId, r.PartNumber)))
                        .ToList();
                    if (batch.Count == 0)
                    {
                        break;
                    }
                    Progress.SetState(HealStatus.Healing);
                    foreach (var request in batch)
                    {
                        ct.ThrowIfCancellationRequested();
                        Progress.SetCurrent(request.Name);
                        HealOutcome outcome;
                        string? detail;
                        try
                        {
                            if (request.IsPart)
                            {
                                (outcome, detail) = await _segments.HealPartAsync(request, ct);
                            }
                            else
                            {
                                var record = await _store.GetObjectAsync(request.Bucket, request.Key, ct);
                                (outcome, detail) = record is null ? (HealOutcome.Superseded, null) : await HealCoreAsync(record, ct);
                            }
                        }
                        catch (OperationCanceledException) when (ct.IsCancellationRequested)
                        {
                            throw;
                        }
                        catch (Exception e)
                        {
                            HealingFailed(_log, e, request.Name);
                            Progress.Error($"{request.Name}: {e.GetBaseException().Message}");
                            failed++;
                            skipped.Add((request.Bucket, request.Key, request.UploadId, request.PartNumber));
                            continue;
                        }
                        switch (outcome)
                        {
                            case HealOutcome.Healed or HealOutcome.Healthy or HealOutcome.Superseded:
                                await _store.ForgetHealAsync(request, ct);
                                Progress.ObjectDone(outcome == HealOutcome.Healed);
                                if (outcome == HealOutcome.Healed)
                                {
                                    healed++;
                                }
                                else
                                {
                                    done++;
                                }
                                break;
                            case HealOutcome.WaitingForVolumes:
                                waiting++;
                                waitingReason = detail;
                                skipped.Add((request.Bucket, request.Key, request.UploadId, request.PartNumber));
                                Progress.SetWaiting(waiting, waitingReason);
                                break;
                            default:
                                CannotRebuild(_log, request.Name, detail);
                                Progress.Error($"{request.Name}: {detail}");
                                failed++;
                                skipped.Add((request.Bucket, request.Key, request.UploadId, request.PartNumber));
                                break;
                        }
                    }
                }
            }
            finally
            {
                Progress.SetCurrent(null);
                Progress.SetWaiting(waiting, waitingReason);
            }
            Progress.SetQueued(await _store.CountHealQueueAsync(ct));
            Progress.SetState(waiting > 0 ? HealStatus.WaitingForVolumes : HealStatus.Idle);
            if (waiting > 0)
            {
                WaitingForVolumes(_log, waiting, waitingReason);
            }
            return new HealPassResult(healed, done, waiting, failed);
        }
        finally
        {
            _pass.Release();
            PassEnded?.Invoke(this, EventArgs.Empty);
        }
    }

    /// <inheritdoc cref="HealSweep.RunAsync"/>
    public Task<int> SweepNowAsync(CancellationToken ct) => _sweep.RunAsync(ct);

    /// <summary>
    /// Heals one object as read from the metadata (<paramref name="record"/> may be stale: the
    /// compare-and-swap then refuses it and the outcome is <see cref="HealOutcome.Superseded"/>). Does
    /// not touch the heal queue. Throws on I/O or metadata failure; shards written before are released.
    /// </summary>
    public async Task<HealOutcome> HealObjectAsync(ObjectRecord record, CancellationToken ct) => (await HealCoreAsync(record, ct)).Outcome;

    private Task<(HealOutcome Outcome, string? Detail)> HealCoreAsync(ObjectRecord record, CancellationToken ct) =>
        record.IsInline() ? _inline.HealAsync(record, ct) : _segments.HealObjectAsync(record, ct);

    private void OnQueued(object? sender, HealRequest request)
    {
        // While objects wait for volumes, every read of them queues them again: retrying on each would
        // re-read their shards for nothing. They are retried on a timer and when a volume returns.
        if (Progress.State != HealStatus.WaitingForVolumes)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    private void OnVolumeReturned(object? sender, Volume volume)
    {
        Interlocked.Exchange(ref _sweepRequested, 1);
        _wake.Writer.TryWrite(true);
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        var nextSweep = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            TimeSpan next;
            try
            {
                if (Interlocked.Exchange(ref _sweepRequested, 0) == 1 || _clock.GetUtcNow() >= nextSweep)
                {
                    nextSweep = _clock.GetUtcNow() + _sweepInterval;
                    await SweepNowAsync(ct);
                }
                var result = await HealNowAsync(ct);
                next = result.Waiting > 0 ? s_retryWaiting : result.Failed > 0 ? s_retryAfterFailure : nextSweep - _clock.GetUtcNow();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                PassFailed(_log, e, s_retryAfterFailure.TotalSeconds);
                Progress.Error(e.GetBaseException().Message);
                Progress.SetState(HealStatus.Idle);
                next = s_retryAfterFailure;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(next < TimeSpan.Zero ? TimeSpan.Zero : next);
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
        Task? loop, statusLoop;
        lock (_startLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            loop = _loop;
            statusLoop = _statusLoop;
        }
        _queue.Queued -= OnQueued;
        _monitor.VolumeReturned -= OnVolumeReturned;
        await _stop.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }
        if (statusLoop is not null)
        {
            await statusLoop;
        }
        _stop.Dispose();
        _pass.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Healing {Name} failed; it stays queued.")]
    private static partial void HealingFailed(ILogger log, Exception e, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "ALERT {Name} cannot be rebuilt from what is stored: {Detail}. It stays queued in case a volume comes back.")]
    private static partial void CannotRebuild(ILogger log, string name, string? detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} objects wait for volumes to heal: {Reason}")]
    private static partial void WaitingForVolumes(ILogger log, int count, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Healing failed; retrying in {Seconds} s.")]
    private static partial void PassFailed(ILogger log, Exception e, double seconds);
}
