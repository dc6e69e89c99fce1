using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace CloudSecReq.Erasure.Bench;

/// A short job (the machine is shared) plus a GB/s column of data bytes per second.
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(4).WithIterationCount(5).WithLaunchCount(1));
        AddColumn(new DataThroughputColumn());
        HideColumns(Column.Error, Column.StdDev);
    }
}
