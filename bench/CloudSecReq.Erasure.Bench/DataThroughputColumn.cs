using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CloudSecReq.Erasure.Bench;

/// GB/s (10^9 bytes) of object data: k x ShardBytes for codec benchmarks, Bytes for checksums.
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
        BenchmarkReport? report = summary[benchmarkCase];
        double? meanNs = report?.ResultStatistics?.Mean;
        if (meanNs is null or 0)
        {
            return "-";
        }
        double bytes = 0;
        Shape? shape = null;
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            switch (parameter.Name)
            {
                case "Shape":
                    shape = (Shape)parameter.Value;
                    break;
                case "ShardBytes":
                case "Bytes":
                    bytes = Convert.ToDouble(parameter.Value);
                    break;
            }
        }
        if (shape is not null)
        {
            bytes *= shape.DataShards;
        }
        return (bytes / meanNs.Value).ToString("F2");
    }
}
