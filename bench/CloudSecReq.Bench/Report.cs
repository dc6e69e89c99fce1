using System.Globalization;

namespace CloudSecReq.Bench;

/// <summary>Prints results as markdown tables, ready to paste into docs/performance.md.</summary>
internal static class Report
{
    public const string OpsHeader =
        "| op | size | conc | ops | ops/s | MB/s | p50 ms | p90 ms | p99 ms | max ms | errors |\n" +
        "|----|-----:|-----:|----:|------:|-----:|-------:|-------:|-------:|-------:|-------:|";

    public const string MemoryHeader =
        "| size | conc | peak WS (process) | max WS in run | max GC heap in run | GC heap after run | allocated/op | bench buffers |\n" +
        "|-----:|-----:|------------------:|--------------:|-------------------:|------------------:|-------------:|--------------:|";

    public const string GatewayMemoryHeader =
        "| size | conc | gateway VmHWM | gateway max RSS in run |\n" +
        "|-----:|-----:|--------------:|-----------------------:|";

    public const string KmsCallsHeader =
        "| size | conc | sse | phase | requests | KMS/HSM calls | per 1000 requests |\n" +
        "|-----:|-----:|-----|-------|---------:|--------------:|------------------:|";

    public static IEnumerable<string> KmsCallsRows(RunResult r, SseMode sse) => r.KmsCalls.Select(k => string.Create(CultureInfo.InvariantCulture,
        $"| {ByteSize.Format(r.SizeBytes)} | {r.Concurrency} | {SseSettings.Name(sse)} | {k.Phase} | {k.Operations} | {k.Calls} | " +
        $"{(k.Operations > 0 ? (k.Calls * 1000.0 / k.Operations).ToString("F1", CultureInfo.InvariantCulture) : "-")} |"));

    public static IEnumerable<string> OpsRows(RunResult r) => r.Ops.Select(op => string.Create(CultureInfo.InvariantCulture,
        $"| {op.Name} | {ByteSize.Format(r.SizeBytes)} | {r.Concurrency} | {op.Count} | {op.OpsPerSecond:F1} | {op.MegabytesPerSecond:F1} | " +
        $"{Ms(op.LatencyMilliseconds(0.50))} | {Ms(op.LatencyMilliseconds(0.90))} | {Ms(op.LatencyMilliseconds(0.99))} | {Ms(op.LatencyMilliseconds(1.0))} | {op.Errors} |"));

    public static string MemoryRow(RunResult r)
    {
        var ops = Math.Max(1, r.Ops.Sum(o => o.Count + o.Errors));
        return string.Create(CultureInfo.InvariantCulture,
            $"| {ByteSize.Format(r.SizeBytes)} | {r.Concurrency} | {ByteSize.Mebibytes(r.PeakWorkingSetBytes)} | {ByteSize.Mebibytes(r.MaxWorkingSetBytes)} | " +
            $"{ByteSize.Mebibytes(r.MaxGcHeapBytes)} | {ByteSize.Mebibytes(r.GcHeapAfterFullGcBytes)} | {Kib(r.AllocatedBytes / ops)} | {ByteSize.Mebibytes(r.PayloadHeldBytes)} |");
    }

    public static string GatewayMemoryRow(RunResult r) => string.Create(CultureInfo.InvariantCulture,
        $"| {ByteSize.Format(r.SizeBytes)} | {r.Concurrency} | {ByteSize.Mebibytes(r.GatewayPeakRssBytes ?? 0)} | {ByteSize.Mebibytes(r.GatewayMaxRssBytes ?? 0)} |");

    private static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms < 10 ? ms.ToString("F2", CultureInfo.InvariantCulture) : ms.ToString("F1", CultureInfo.InvariantCulture);

    private static string Kib(long bytes) => bytes < 1 << 20
        ? (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB"
        : ByteSize.Mebibytes(bytes);
}
