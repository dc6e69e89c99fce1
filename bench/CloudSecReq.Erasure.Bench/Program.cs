using BenchmarkDotNet.Running;
using CloudSecReq.Erasure.Bench;

// `quick` prints a rough Stopwatch table for fast iteration; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "quick")
{
    QuickRun.Run(args.Skip(1).ToArray());
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(EncodeBenchmarks).Assembly).Run(args);
