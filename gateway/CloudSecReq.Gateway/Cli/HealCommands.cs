using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Metadata.Sqlite;

namespace CloudSecReq.Gateway.Cli;

/// <summary>
/// <c>csr heal status [--watch]</c> and <c>csr scrub status</c>: what the running gateway's healer and
/// scrubber are doing, read from <c>DATA/heal-status.json</c> (<see cref="HealStatusFile"/>) and the heal
/// queue in the metadata database. Needs neither the HSM nor the gateway's cooperation, so it works
/// beside a running gateway and after it stopped.
/// </summary>
internal static class HealCommands
{
    private const int BarWidth = 30;

    public static Command Heal()
    {
        var watch = new Option<bool>("--watch") { Description = "Redraw every second with a progress bar until the heal queue is empty (Ctrl-C stops)" };
        var status = new Command("status", "Show the healer's progress (objects and bytes healed, queued, rate, ETA, state) and the scrubber's last pass") { watch };
        status.SetAction((parse, ct) => RunAsync(parse, async (data, ct) =>
        {
            if (!parse.GetValue(watch))
            {
                Console.Write(Render(HealStatusFile.TryRead(HealStatusFile.PathIn(data)), await QueuedAsync(data, ct), TimeProvider.System.GetUtcNow(), scrubOnly: false));
                return;
            }
            var redraw = !Console.IsOutputRedirected;
            var lines = 0;
            var idleTicks = 0;
            while (true)
            {
                var current = HealStatusFile.TryRead(HealStatusFile.PathIn(data));
                var queued = await QueuedAsync(data, ct);
                var text = Render(current, queued, TimeProvider.System.GetUtcNow(), scrubOnly: false);
                if (redraw && lines > 0)
                {
                    // Back to the first line of the previous drawing, and clear it to the end of the screen.
                    Console.Write($"\u001b[{lines}A\u001b[J");
                }
                else if (lines > 0)
                {
                    Console.WriteLine();
                }
                Console.Write(text);
                lines = text.Count(c => c == '\n');
                var idle = current?.State is null or HealStatus.Idle or HealStatus.Stopped;
                if (idle && queued == 0)
                {
                    Console.WriteLine("heal queue is empty");
                    return;
                }
                // Idle with objects queued for a few seconds: they failed (see last error) and are
                // retried later, or the gateway is not running. Nothing to watch until then.
                idleTicks = idle ? idleTicks + 1 : 0;
                if (idleTicks >= 3)
                {
                    Console.WriteLine($"healer is {current?.State ?? "not running"}; {queued} object{(queued == 1 ? "" : "s")} stay queued (see last error)");
                    return;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }, ct));
        return new Command("heal", "Inspect the healer, which rebuilds missing and corrupt shards") { status };
    }

    public static Command Scrub()
    {
        var status = new Command("status", "Show the scrubber's pass under way and its last finished pass");
        status.SetAction((parse, ct) => RunAsync(parse, async (data, ct) =>
            Console.Write(Render(HealStatusFile.TryRead(HealStatusFile.PathIn(data)), await QueuedAsync(data, ct), TimeProvider.System.GetUtcNow(), scrubOnly: true)), ct));
        return new Command("scrub", "Inspect the scrubber, which verifies every shard's checksums in the background") { status };
    }

    /// <summary>Objects in the heal queue now, or null when the data directory has no metadata yet.</summary>
    private static async Task<long?> QueuedAsync(string data, CancellationToken ct)
    {
        var path = Path.Combine(data, "meta", "metadata.db");
        if (!File.Exists(path))
        {
            return null;
        }
        return await SqliteMetadataStore.CountHealQueueReadOnlyAsync(path, ct);
    }

    /// <summary>The status as text, one item per line; <paramref name="queued"/> (counted now) wins over the file's count.</summary>
    internal static string Render(HealStatus? status, long? queued, DateTimeOffset now, bool scrubOnly)
    {
        var text = new StringBuilder();
        void Line(string label, string value) => text.Append(CultureInfo.InvariantCulture, $"{label + ":",-12} {value}\n");
        if (status is null)
        {
            Line("healer", "no status yet (the gateway has not run on this data directory since healing was added)");
            if (queued is { } q)
            {
                Line("queue", $"{q} object{(q == 1 ? "" : "s")}");
            }
            return text.ToString();
        }
        var age = now - status.UpdatedAt;
        var stale = status.State != HealStatus.Stopped && status.State != HealStatus.Idle && age > TimeSpan.FromSeconds(10)
            ? $"; not updated for {Duration(age)}: is the gateway running?"
            : "";
        if (!scrubOnly)
        {
            var remaining = queued ?? status.QueuedObjects;
            Line("healer", $"{status.State} (updated {status.UpdatedAt:yyyy-MM-dd HH:mm:ss}Z{stale}; limit {Rate(status.HealBytesPerSecondLimit)})");
            Line("queue", $"{remaining} object{(remaining == 1 ? "" : "s")}" +
                (status.WaitingObjects > 0 ? $", {status.WaitingObjects} waiting for volumes: {status.WaitingReason}" : ""));
            if (status.RunStartedAt is { } started && status.State != HealStatus.Stopped)
            {
                var total = status.RunObjectsDone + remaining;
                var fraction = total == 0 ? 1.0 : (double)status.RunObjectsDone / total;
                var filled = (int)Math.Round(fraction * BarWidth);
                Line("progress", $"[{new string('#', filled)}{new string('.', BarWidth - filled)}] {fraction * 100,3:F0}%  " +
                    $"{status.RunObjectsDone}/{total} objects, {Bytes(status.RunBytesRebuilt)} since {started:HH:mm:ss}Z  " +
                    $"{Rate((long)status.RunBytesPerSecond)}, {status.RunObjectsPerSecond:F1} objects/s  " +
                    $"ETA {(status.EtaSeconds is { } eta ? Duration(TimeSpan.FromSeconds(eta)) : "unknown")}");
            }
            if (status.CurrentObject is { } current)
            {
                Line("healing", current);
            }
            Line("healed", $"{status.ObjectsHealed} objects, {status.ShardsRebuilt} shards, {Bytes(status.BytesRebuilt)} since {status.StartedAt:yyyy-MM-dd HH:mm:ss}Z");
            if (status.LastSweepAt is { } swept)
            {
                Line("last sweep", $"{swept:yyyy-MM-dd HH:mm:ss}Z, queued {status.LastSweepObjectsQueued} objects");
            }
            if (status.LastError is { } error)
            {
                Line("last error", $"{error} ({status.LastErrorAt:yyyy-MM-dd HH:mm:ss}Z)");
            }
        }
        var scrub = status.Scrub;
        Line("scrubber", $"{scrub.State}{(scrub.BytesPerSecondLimit > 0 ? $" (limit {Rate(scrub.BytesPerSecondLimit)})" : "")}");
        if (scrub.Current is { } pass)
        {
            Line("scrubbing", $"since {pass.StartedAt:yyyy-MM-dd HH:mm:ss}Z: {Pass(pass)}");
        }
        Line("last scrub", scrub.Last is { } last ? $"{last.StartedAt:yyyy-MM-dd HH:mm:ss}Z to {last.FinishedAt:yyyy-MM-dd HH:mm:ss}Z: {Pass(last)}" : "none yet");
        return text.ToString();
    }

    private static string Pass(ScrubPass pass) =>
        $"{pass.ObjectsChecked} objects, {pass.ShardsChecked} shards, {Bytes(pass.BytesChecked)} checked; " +
        $"{pass.FaultyShards} faulty shard{(pass.FaultyShards == 1 ? "" : "s")}, {pass.ObjectsQueued} object{(pass.ObjectsQueued == 1 ? "" : "s")} queued for healing";

    private static string Rate(long bytesPerSecond) => bytesPerSecond <= 0 ? "unlimited" : Bytes(bytesPerSecond) + "/s";

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    private static string Duration(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:D2}m")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes:D2}:{t.Seconds:D2}");

    private static async Task<int> RunAsync(ParseResult parse, Func<string, CancellationToken, Task> work, CancellationToken ct)
    {
        if (DataDirectory.NotADataDirectory(parse.GetValue(CsrCommandLine.Data)!) is { } refusal)
        {
            Console.Error.WriteLine($"csr: {refusal}");
            return 1;
        }
        try
        {
            await work(Path.GetFullPath(parse.GetValue(CsrCommandLine.Data)!), ct);
            return 0;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl-C ends --watch.
            Console.WriteLine();
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or Microsoft.Data.Sqlite.SqliteException)
        {
            Console.Error.WriteLine($"csr: {e.Message}");
            return 1;
        }
    }
}
