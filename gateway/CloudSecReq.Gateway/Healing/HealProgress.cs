namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// The live counters of the healer and the scrubber, from which <see cref="Snapshot"/> builds a
/// <see cref="HealStatus"/> with rates and an ETA. Thread-safe (one lock; every update is a few
/// field writes). <see cref="Version"/> changes with every update, so a writer can skip unchanged state.
/// </summary>
internal sealed class HealProgress
{
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private readonly DateTimeOffset _startedAt;
    private readonly long _healBytesPerSecondLimit;
    private readonly long _scrubBytesPerSecondLimit;
    private string _state = HealStatus.Idle;
    private long _queued;
    private long _waiting;
    private string? _waitingReason;
    private long _objectsHealed;
    private long _shardsRebuilt;
    private long _bytesRebuilt;
    private DateTimeOffset? _runStartedAt;
    private long _runObjectsDone;
    private long _runBytes;
    private string? _current;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _lastSweepAt;
    private long _lastSweepQueued;
    private string _scrubState;
    private ScrubPass? _scrubCurrent;
    private ScrubPass? _scrubLast;
    private long _version;

    public HealProgress(TimeProvider clock, long healBytesPerSecondLimit, long scrubBytesPerSecondLimit)
    {
        _clock = clock;
        _startedAt = clock.GetUtcNow();
        _healBytesPerSecondLimit = healBytesPerSecondLimit;
        _scrubBytesPerSecondLimit = scrubBytesPerSecondLimit;
        _scrubState = scrubBytesPerSecondLimit > 0 ? "idle" : "disabled";
    }

    public long Version => Interlocked.Read(ref _version);

    public string State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
            _version++;
        }
    }

    public void SetState(string state) => Update(() => _state = state);

    /// <summary>The queue length as last counted; a run starts when it becomes non-empty and ends when it is empty.</summary>
    public void SetQueued(long queued) => Update(() =>
    {
        if (queued > 0 && _runStartedAt is null)
        {
            _runStartedAt = _clock.GetUtcNow();
            _runObjectsDone = 0;
            _runBytes = 0;
        }
        else if (queued == 0)
        {
            _runStartedAt = null;
        }
        _queued = queued;
    });

    public void SetWaiting(long waiting, string? reason) => Update(() =>
    {
        _waiting = waiting;
        _waitingReason = waiting > 0 ? reason : null;
    });

    public void SetCurrent(string? objectName) => Update(() => _current = objectName);

    public void ShardRebuilt(long bytes) => Update(() =>
    {
        _shardsRebuilt++;
        _bytesRebuilt += bytes;
        _runBytes += bytes;
    });

    /// <summary>An object left the queue; <paramref name="healed"/> when shards were rebuilt for it.</summary>
    public void ObjectDone(bool healed) => Update(() =>
    {
        if (healed)
        {
            _objectsHealed++;
        }
        _runObjectsDone++;
        _queued = Math.Max(0, _queued - 1);
    });

    public void Error(string message) => Update(() =>
    {
        _lastError = message;
        _lastErrorAt = _clock.GetUtcNow();
    });

    public void Swept(long queued) => Update(() =>
    {
        _lastSweepAt = _clock.GetUtcNow();
        _lastSweepQueued = queued;
    });

    public void ScrubStarted() => Update(() =>
    {
        _scrubState = "scrubbing";
        _scrubCurrent = new ScrubPass { StartedAt = _clock.GetUtcNow() };
    });

    public void ScrubChecked(ScrubPass current) => Update(() => _scrubCurrent = current);

    public void ScrubFinished(ScrubPass pass) => Update(() =>
    {
        _scrubState = _scrubBytesPerSecondLimit > 0 ? "idle" : "disabled";
        _scrubCurrent = null;
        _scrubLast = pass with { FinishedAt = _clock.GetUtcNow() };
    });

    public HealStatus Snapshot()
    {
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            double bytesRate = 0, objectRate = 0;
            double? eta = null;
            if (_runStartedAt is { } started)
            {
                var seconds = Math.Max(0.001, (now - started).TotalSeconds);
                bytesRate = _runBytes / seconds;
                objectRate = _runObjectsDone / seconds;
                var remaining = _queued - _waiting;
                if (objectRate > 0 && remaining > 0)
                {
                    eta = remaining / objectRate;
                }
                else if (remaining <= 0 && _waiting == 0)
                {
                    eta = 0;
                }
            }
            return new HealStatus
            {
                State = _state,
                UpdatedAt = now,
                StartedAt = _startedAt,
                HealBytesPerSecondLimit = _healBytesPerSecondLimit,
                QueuedObjects = _queued,
                WaitingObjects = _waiting,
                WaitingReason = _waitingReason,
                ObjectsHealed = _objectsHealed,
                ShardsRebuilt = _shardsRebuilt,
                BytesRebuilt = _bytesRebuilt,
                RunStartedAt = _runStartedAt,
                RunObjectsDone = _runStartedAt is null ? 0 : _runObjectsDone,
                RunBytesRebuilt = _runStartedAt is null ? 0 : _runBytes,
                RunBytesPerSecond = bytesRate,
                RunObjectsPerSecond = objectRate,
                EtaSeconds = eta,
                CurrentObject = _current,
                LastError = _lastError,
                LastErrorAt = _lastErrorAt,
                LastSweepAt = _lastSweepAt,
                LastSweepObjectsQueued = _lastSweepQueued,
                Scrub = new ScrubStatus
                {
                    State = _scrubState,
                    BytesPerSecondLimit = _scrubBytesPerSecondLimit,
                    Current = _scrubCurrent,
                    Last = _scrubLast,
                },
            };
        }
    }
}
