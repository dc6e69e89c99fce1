using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CloudSecReq.Erasure.Bench;

/// GB/s (10^9 bytes) of object data: k x ShardBytes for codec benchmarks, Bytes for the others.
public sealed class DataThroughputColumn : IColumn
{
    public string Id => "DataGBps";

    public string ColumnName => "GB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Data bytes processed per second, in 10^9 bytes";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var meanNs = report?.ResultStatistics?.Mean;
        if (meanNs is null or 0)
        {
            return "-";
        }
        // ShardBytes (codec benchmarks) counts k shards of data; Bytes is already object bytes.
        double bytes = 0;
        var dataShards = 1;
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            switch (parameter.Name)
            {
                case "Shape":
                    dataShards = ((Shape)parameter.Value).DataShards;
                    break;
                case "ShardBytes":
                case "Bytes":
                    bytes = Convert.ToDouble(parameter.Value);
                    break;
            }
        }
        if (benchmarkCase.Parameters.Items.Any(p => p.Name == "ShardBytes"))
        {
            bytes *= dataShards;
        }
        return (bytes / meanNs.Value).ToString("F2");
    }
}
