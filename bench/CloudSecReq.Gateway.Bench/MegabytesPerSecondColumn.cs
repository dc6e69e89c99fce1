using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CloudSecReq.Gateway.Bench;

/// MB/s (10^6 bytes) of plaintext: the benchmark's Bytes parameter over its mean time.
public sealed class MegabytesPerSecondColumn : IColumn
{
    public string Id => "PlainMBps";

    public string ColumnName => "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Plaintext bytes per second, in 10^6 bytes";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        var bytes = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Bytes")?.Value;
        if (meanNs is null or 0 || bytes is null)
        {
            return "-";
        }
        return (Convert.ToDouble(bytes) / meanNs.Value * 1000).ToString("F0");
    }
}
