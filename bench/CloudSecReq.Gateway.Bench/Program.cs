using BenchmarkDotNet.Running;
using CloudSecReq.Gateway.Bench;

BenchmarkSwitcher.FromAssembly(typeof(SealedSegmentBenchmarks).Assembly).Run(args);
