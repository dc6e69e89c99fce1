using System.Diagnostics;
using System.Globalization;

namespace CloudSecReq.Bench;

/// <summary>
/// Samples this process's working set and GC heap (and optionally another process's RSS from
/// /proc) every 100 ms while a run is going, keeping the maxima. Dispose to stop.
/// </summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int? _otherPid;

    public MemorySampler(int? otherPid)
    {
        _otherPid = otherPid;
        _loop = Task.Run(LoopAsync);
    }

    public long MaxWorkingSetBytes { get; private set; }
    public long MaxGcHeapBytes { get; private set; }
    public long MaxOtherRssBytes { get; private set; }

    private async Task LoopAsync()
    {
        using var self = Process.GetCurrentProcess();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            self.Refresh();
            MaxWorkingSetBytes = Math.Max(MaxWorkingSetBytes, self.WorkingSet64);
            MaxGcHeapBytes = Math.Max(MaxGcHeapBytes, GC.GetTotalMemory(forceFullCollection: false));
            if (_otherPid is { } pid && ProcStatusBytes(pid, "VmRSS") is { } rss)
            {
                MaxOtherRssBytes = Math.Max(MaxOtherRssBytes, rss);
            }
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A "Vm…: N kB" line of /proc/PID/status in bytes; null if the process or line is missing.</summary>
    public static long? ProcStatusBytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>Stops sampling; the maxima stay readable. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        await _loop;
    }
}
