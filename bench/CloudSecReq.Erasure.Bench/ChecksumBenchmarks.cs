using BenchmarkDotNet.Attributes;

namespace CloudSecReq.Erasure.Bench;

/// The per-block checksum (CRC-32C) the stripe writer and reader compute over every shard block.
[Config(typeof(ThroughputConfig))]
public class ChecksumBenchmarks
{
    private byte[] _block = null!;

    [Params(64 * 1024, 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _block = new byte[Bytes];
        new Random(1).NextBytes(_block);
    }

    [Benchmark]
    public uint Crc32C() => Checksums.Crc32C.Compute(_block);
}
