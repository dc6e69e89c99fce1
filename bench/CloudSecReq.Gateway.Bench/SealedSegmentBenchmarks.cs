using BenchmarkDotNet.Attributes;
using CloudSecReq.Gateway.Encryption;

namespace CloudSecReq.Gateway.Bench;

/// Single-threaded seal and open of one sealed segment (format v1), memory to memory, so that only
/// AES-GCM and the package framing are measured.
[Config(typeof(MegabytesConfig))]
public class SealedSegmentBenchmarks
{
    private const int WriteBytes = 1 << 20;

    private byte[] _plain = [];
    private byte[] _sealed = [];
    private SegmentKey? _key;

    [Params(64 << 20)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _plain = new byte[Bytes];
        new Random(1).NextBytes(_plain);
        _key = SegmentKey.Derive(DataKeys.NewPinned(), DataKeys.NewSalt(), 1);
        var blob = new MemoryStream();
        using (var sealing = new SealingStream(blob, _key))
        {
            sealing.Write(_plain);
            sealing.FinishAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        _sealed = blob.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _key?.Dispose();

    [Benchmark(Description = "Seal")]
    public async Task SealAsync()
    {
        await using var sealing = new SealingStream(Stream.Null, _key!);
        for (var at = 0; at < _plain.Length; at += WriteBytes)
        {
            await sealing.WriteAsync(_plain.AsMemory(at, Math.Min(WriteBytes, _plain.Length - at)));
        }
        await sealing.FinishAsync(CancellationToken.None);
    }

    [Benchmark]
    public Task Open() =>
        SegmentOpener.CopyPlaintextAsync(
            storedOffset => new MemoryStream(_sealed, (int)storedOffset, _sealed.Length - (int)storedOffset, writable: false),
            _key!, Bytes, 0, Bytes, Stream.Null, CancellationToken.None);
}
