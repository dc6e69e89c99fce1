using System.Diagnostics;

namespace CloudSecReq.Bench;

/// <summary>
/// Outcomes of one operation kind in one timed phase: a latency per success (whole request,
/// including reading the body), bytes moved, errors. Thread-safe.
/// </summary>
internal sealed class OpStats(string name)
{
    private readonly Lock _gate = new();
    private readonly List<long> _latencyTicks = [];
    private long _bytes;
    private readonly Dictionary<string, int> _errors = new(StringComparer.Ordinal);

    public string Name { get; } = name;
    /// <summary>Wall time of the phase the operations ran in (set by the runner).</summary>
    public TimeSpan Elapsed { get; set; }

    public void Record(long startTimestamp, long bytes)
    {
        var ticks = Stopwatch.GetTimestamp() - startTimestamp;
        lock (_gate)
        {
            _latencyTicks.Add(ticks);
            _bytes += bytes;
        }
    }

    public void RecordError(Exception e)
    {
        var text = e is Amazon.Runtime.AmazonServiceException s
            ? $"{s.GetType().Name} {(int)s.StatusCode} {s.ErrorCode}: {s.Message}"
            : $"{e.GetType().Name}: {e.Message}";
        lock (_gate)
        {
            _errors[text] = _errors.GetValueOrDefault(text) + 1;
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _latencyTicks.Count;
            }
        }
    }

    public int Errors
    {
        get
        {
            lock (_gate)
            {
                return _errors.Values.Sum();
            }
        }
    }

    /// <summary>Distinct error messages with their counts.</summary>
    public IReadOnlyDictionary<string, int> ErrorMessages
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_errors);
            }
        }
    }

    public double OpsPerSecond => Count / Elapsed.TotalSeconds;

    /// <summary>Successful bytes per second in MB (10^6 bytes).</summary>
    public double MegabytesPerSecond
    {
        get
        {
            lock (_gate)
            {
                return _bytes / 1e6 / Elapsed.TotalSeconds;
            }
        }
    }

    /// <summary>Latency at quantile <paramref name="q"/> (0..1, nearest rank) in milliseconds; NaN with no samples.</summary>
    public double LatencyMilliseconds(double q)
    {
        long[] sorted;
        lock (_gate)
        {
            sorted = [.. _latencyTicks];
        }
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
