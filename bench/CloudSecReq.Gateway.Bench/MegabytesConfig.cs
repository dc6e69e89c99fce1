using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace CloudSecReq.Gateway.Bench;

/// A short in-process job (the machine is shared), a MB/s column and allocations.
public sealed class MegabytesConfig : ManualConfig
{
    public MegabytesConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(8).WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance));
        AddColumn(new MegabytesPerSecondColumn());
        AddDiagnoser(MemoryDiagnoser.Default);
        HideColumns(Column.Error);
    }
}
