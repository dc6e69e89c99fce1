using BenchmarkDotNet.Attributes;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Bench;

/// Single-threaded encode of one stripe; throughput is data bytes (k x shard) per second.
[Config(typeof(ThroughputConfig))]
public class EncodeBenchmarks
{
    private ReedSolomonCodec _codec = null!;
    private Memory<byte>[] _shards = null!;

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
    }

    [Benchmark]
    public void Encode() => _codec.Encode(_shards);
}
