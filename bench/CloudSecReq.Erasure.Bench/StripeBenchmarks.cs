using BenchmarkDotNet.Attributes;
using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Shards;

namespace CloudSecReq.Erasure.Bench;

/// The whole PUT / GET erasure step for a 16 MiB object with 1 MiB blocks, in memory: cut,
/// encode, checksum every block (write); read k shards, verify, rebuild one lost data shard (read).
/// GB/s of object bytes; shows what the checksums cost next to EncodeBenchmarks.
[Config(typeof(ThroughputConfig))]
public class StripeBenchmarks
{
    private const int BlockBytes = 1024 * 1024;
    private ReedSolomonCodec _codec = null!;
    private StripeWriter _writer = null!;
    private byte[] _object = null!;
    private byte[][] _files = null!;
    private Stream[] _nulls = null!;

    [ParamsSource(nameof(Shapes))]
    public Shape Shape { get; set; } = null!;

    [Params(16 * 1024 * 1024)]
    public int Bytes { get; set; }

    public static IEnumerable<Shape> Shapes => Shape.Standard;

    [GlobalSetup]
    public void Setup()
    {
        _codec = new ReedSolomonCodec(Shape.DataShards, Shape.ParityShards);
        _writer = new StripeWriter(_codec, BlockBytes);
        _object = new byte[Bytes];
        new Random(1).NextBytes(_object);
        var files = Enumerable.Range(0, _codec.TotalShards).Select(_ => new MemoryStream()).ToArray();
        _writer.WriteAsync(new MemoryStream(_object), Bytes, files, CancellationToken.None).GetAwaiter().GetResult();
        _files = files.Select(f => f.ToArray()).ToArray();
        _nulls = Enumerable.Range(0, _codec.TotalShards).Select(_ => Stream.Null).ToArray();
    }

    [Benchmark]
    public Task Write() =>
        _writer.WriteAsync(new MemoryStream(_object, writable: false), Bytes, _nulls, CancellationToken.None);

    [Benchmark]
    public Task<StripeReadResult> ReadWithOneDataShardLost()
    {
        var streams = new Stream?[_codec.TotalShards];
        for (var i = 1; i < streams.Length; i++)
        {
            streams[i] = new MemoryStream(_files[i], writable: false);
        }
        return new StripeReader(_codec).ReadAsync(streams, Stream.Null, CancellationToken.None);
    }
}
