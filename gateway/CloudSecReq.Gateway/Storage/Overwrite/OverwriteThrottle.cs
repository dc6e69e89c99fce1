namespace CloudSecReq.Gateway.Storage.Overwrite;

/// <summary>
/// Paces background I/O (the overwriting of released space; healing and scrubbing through
/// <see cref="PacedStream"/>) to at most a configured number of bytes per second, so that it stays a
/// background trickle next to foreground requests. A rate of 0 or less means
/// unlimited. Thread-safe: callers sharing one throttle share its rate.
/// </summary>
internal sealed class OverwriteThrottle
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;
    private long _nextFreeTicks;

    /// <param name="bytesPerSecond">The rate; 0 or less for unlimited.</param>
    /// <param name="clock">Measures the pace and times the waits; the system clock when null.</param>
    public OverwriteThrottle(long bytesPerSecond, TimeProvider? clock = null)
    {
        BytesPerSecond = bytesPerSecond;
        _clock = clock ?? TimeProvider.System;
        _nextFreeTicks = _clock.GetTimestamp();
    }

    /// <summary>No limit: used for the start-up sweep, which runs before the gateway serves requests.</summary>
    public static OverwriteThrottle Unlimited { get; } = new(0);

    public long BytesPerSecond { get; }

    /// <summary>Waits until <paramref name="bytes"/> more may be written without exceeding the rate.</summary>
    public Task WaitAsync(long bytes, CancellationToken ct)
    {
        if (BytesPerSecond <= 0 || bytes <= 0)
        {
            return Task.CompletedTask;
        }
        var cost = (long)((double)bytes / BytesPerSecond * _clock.TimestampFrequency);
        long startTicks;
        lock (_lock)
        {
            var now = _clock.GetTimestamp();
            // An idle throttle does not bank credit beyond now: a burst after a pause starts at the rate.
            startTicks = Math.Max(now, _nextFreeTicks);
            _nextFreeTicks = startTicks + cost;
        }
        var wait = _clock.GetElapsedTime(_clock.GetTimestamp(), startTicks);
        return wait > TimeSpan.Zero ? Task.Delay(wait, _clock, ct) : Task.CompletedTask;
    }
}
