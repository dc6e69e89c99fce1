using System.Globalization;

namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// Progress of a wipe on a text writer (stderr from the CLI): phase, bytes done of the total, rate and
/// ETA by bytes, at most one line every two seconds, and one when a phase ends. Not thread-safe.
/// </summary>
internal sealed class WipeProgress(TextWriter output, TimeProvider clock, long totalBytes)
{
    private static readonly TimeSpan s_every = TimeSpan.FromSeconds(2);
    private readonly long _started = clock.GetTimestamp();
    private long _lastLine = clock.GetTimestamp();
    private long _done;

    public long TotalBytes { get; set; } = totalBytes;

    /// <summary>Counts <paramref name="bytes"/> more done in <paramref name="phase"/>; prints when a line is due.</summary>
    public void Advance(string phase, long bytes)
    {
        _done += bytes;
        var now = clock.GetTimestamp();
        if (clock.GetElapsedTime(_lastLine, now) >= s_every)
        {
            _lastLine = now;
            Print(phase);
        }
    }

    /// <summary>Prints the current line now (at the end of a phase).</summary>
    public void Print(string phase)
    {
        var elapsed = clock.GetElapsedTime(_started);
        var rate = elapsed.TotalSeconds > 0 ? _done / elapsed.TotalSeconds : 0;
        var total = Math.Max(TotalBytes, _done);
        var eta = rate > 0 ? TimeSpan.FromSeconds((total - _done) / rate) : (TimeSpan?)null;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wipe: {phase}: {Mib(_done)} of {Mib(total)} ({(total == 0 ? 100 : 100.0 * _done / total):F0}%), {Mib((long)rate)}/s, ETA {(eta is { } t ? t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "unknown")}"));
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):F1} MiB");
}
