using BenchmarkDotNet.Attributes;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Bench;

/// Single-threaded rebuild of m lost data shards (the worst case: every lost shard needs all k
/// survivors); throughput is data bytes (k x shard) per second.
[Config(typeof(ThroughputConfig))]
public class ReconstructBenchmarks
{
    private ReedSolomonCodec _codec = null!;
    private Memory<byte>[] _shards = null!;
    private bool[] _present = null!;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = null!;

    [Params(64 * 1024, 1024 * 1024)]
    public int ShardBytes { get; set; }

    [ParamsSource(nameof(Kernels))]
    public ErasureKernel Kernel { get; set; }

    public static IEnumerable<Shape> Shapes => Shape.Standard;

    public static IEnumerable<ErasureKernel> Kernels => BenchKernels.Selected();

    [GlobalSetup]
    public void Setup()
    {
        _codec = new ReedSolomonCodec(Shape.DataShards, Shape.ParityShards, Kernel);
        _shards = StripeData.Create(_codec.TotalShards, ShardBytes);
        _codec.Encode(_shards);
        _present = Enumerable.Range(0, _codec.TotalShards).Select(i => i >= Shape.ParityShards).ToArray();
        _codec.Reconstruct(_shards, _present);
    }

    [Benchmark]
    public void Reconstruct() => _codec.Reconstruct(_shards, _present);
}
