using System.Security.Cryptography;
using System.Text;
using CloudSecReq.Gateway.Encryption;

namespace CloudSecReq.Gateway.Tests.Encryption;

public sealed class SealingStreamTests
{
    private const int P = SealedFormat.PackagePlainBytes;

    // Vectors computed independently with Python's `cryptography` AESGCM over the documented
    // nonce and AAD layout, data key 00…1f, salt a0…af.
    [Fact]
    public async Task Seal_ShortSegment_MatchesIndependentVector()
    {
        using var key = SegmentSamples.Key(7);
        var blob = await SegmentSamples.SealAsync(Encoding.ASCII.GetBytes("hello, sealed world"), key);
        Assert.Equal("76d555ed492ba702978ebf98fc27130a0692819e912fab29fffeaf1c2aa51fa893c999", Convert.ToHexString(blob).ToLowerInvariant());
    }

    [Fact]
    public async Task Seal_EmptySegment_IsOneEmptyFinalPackage()
    {
        using var key = SegmentSamples.Key(0);
        var blob = await SegmentSamples.SealAsync([], key);
        Assert.Equal("a5a9c3542d98ef850ee008e7f9f50701", Convert.ToHexString(blob).ToLowerInvariant());
    }

    [Fact]
    public async Task Seal_ThreePackages_MatchesIndependentVector()
    {
        using var key = SegmentSamples.Key(3);
        var plain = Enumerable.Range(0, 2 * P + 1).Select(i => (byte)(i % 251)).ToArray();
        var blob = await SegmentSamples.SealAsync(plain, key);
        Assert.Equal(131_121, blob.Length);
        Assert.Equal("a6165597f49a3a714c5ad9610c2a6db7cf442975e5b156b0f7d17bb47ac5e4e7", Convert.ToHexString(SHA256.HashData(blob)).ToLowerInvariant());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(P - 1)]
    [InlineData(P)]
    [InlineData(P + 1)]
    [InlineData(2 * P - 1)]
    [InlineData(3 * P)]
    [InlineData(3 * P + 1)]
    public async Task SealThenOpen_Length_RoundTrips(int length)
    {
        using var key = SegmentSamples.Key();
        var plain = SegmentSamples.Plaintext(length, seed: length);
        var blob = await SegmentSamples.SealAsync(plain, key);
        Assert.Equal(SealedFormat.SealedLength(length), blob.Length);
        Assert.Equal(plain, await SegmentSamples.OpenAsync(blob, key, length, 0, length));
    }

    [Fact]
    public async Task SealThenOpen_RandomLengthsChunksAndRanges_RoundTrip()
    {
        // Seeded property test: 40 random segments, each read back whole and in 10 random ranges.
        var random = new Random(20_240_505);
        for (var trial = 0; trial < 40; trial++)
        {
            var length = random.Next(4) == 0 ? random.Next(0, 100) : random.Next(0, 5 * P);
            var chunk = random.Next(1, 3) == 1 ? random.Next(1, 300) : random.Next(1, 3 * P);
            using var key = SegmentSamples.Key(random.Next(0, 10_001), DataKeys.NewPinned(), DataKeys.NewSalt());
            var plain = SegmentSamples.Plaintext(length, seed: trial);
            var blob = await SegmentSamples.SealAsync(plain, key, chunk);
            Assert.Equal(SealedFormat.SealedLength(length), blob.Length);
            Assert.Equal(plain, await SegmentSamples.OpenAsync(blob, key, length, 0, length));
            for (var r = 0; r < 10; r++)
            {
                var offset = random.Next(0, length + 1);
                var count = random.Next(0, length - offset + 1);
                var read = await SegmentSamples.OpenAsync(blob, key, length, offset, count);
                Assert.Equal(plain.AsSpan(offset, count).ToArray(), read);
            }
        }
    }

    [Fact]
    public async Task Seal_AnyWriteSizes_GivesSameBytes()
    {
        using var key = SegmentSamples.Key();
        var plain = SegmentSamples.Plaintext(2 * P + 3);
        var whole = await SegmentSamples.SealAsync(plain, key, plain.Length);
        foreach (var chunk in new[] { 1, 7, P - 1, P, P + 1 })
        {
            Assert.Equal(whole, await SegmentSamples.SealAsync(plain, key, chunk));
        }
        var viaWriteByte = new MemoryStream();
        using (var sealing = new SealingStream(viaWriteByte, key))
        {
            foreach (var b in plain)
            {
                sealing.WriteByte(b);
            }
            await sealing.FinishAsync(CancellationToken.None);
        }
        Assert.Equal(whole, viaWriteByte.ToArray());
    }

    [Fact]
    public async Task Seal_IdenticalPackages_NeverRepeatNonceSoCiphertextsDiffer()
    {
        // Nonce = part || index: equal plaintext packages under one key must all seal differently.
        using var key = SegmentSamples.Key(5);
        const int packages = 16;
        var blob = await SegmentSamples.SealAsync(new byte[packages * P], key);
        var bodies = new HashSet<string>();
        var tags = new HashSet<string>();
        for (var i = 0; i < packages; i++)
        {
            var package = blob.AsSpan(i * (P + 16), P + 16);
            Assert.True(bodies.Add(Convert.ToHexString(package[..64])));
            Assert.True(tags.Add(Convert.ToHexString(package[P..])));
        }
        // Another salt (a re-uploaded part) gives another keystream for the same part and index.
        using var reuploaded = SegmentSamples.Key(5, salt: DataKeys.NewSalt());
        var again = await SegmentSamples.SealAsync(new byte[packages * P], reuploaded);
        Assert.False(blob.AsSpan(0, 64).SequenceEqual(again.AsSpan(0, 64)));
    }

    [Fact]
    public async Task Write_SteadyState16MiB_AllocatesNothingPerPackage()
    {
        using var key = SegmentSamples.Key();
        var chunk = SegmentSamples.Plaintext(16 * 1024);
        await using var sealing = new SealingStream(new SyncSink(), key);
        for (var i = 0; i < 64; i++)
        {
            sealing.Write(chunk);
            await sealing.WriteAsync(chunk);
        }

        // Three rounds, the lowest count of each kept: the runtime may allocate once in a round (tiering,
        // on-stack replacement, thread statics), which is not a per-package cost; a per-package cost
        // shows in every round.
        long sync = long.MaxValue, asynchronous = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1024; i++)
            {
                sealing.Write(chunk);
            }
            sync = Math.Min(sync, GC.GetAllocatedBytesForCurrentThread() - before);
            before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1024; i++)
            {
                await sealing.WriteAsync(chunk.AsMemory());
            }
            asynchronous = Math.Min(asynchronous, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(6 * (16L << 20), sealing.PlainLength - 2 * 64 * chunk.Length);
        // 256 packages each way: even 16 bytes per package would exceed 2048.
        Assert.True(sync < 2048, $"the synchronous path allocated {sync} bytes");
        // The async path may cost the runtime a small constant per call (seen: 96 bytes on .NET 10.0.12),
        // never anything per package or per byte.
        Assert.True(asynchronous <= 1024 * 128, $"the asynchronous path allocated {asynchronous} bytes for 1024 calls");
    }

    [Fact]
    public async Task Write_AfterFinish_Throws()
    {
        using var key = SegmentSamples.Key();
        await using var sealing = new SealingStream(new MemoryStream(), key);
        sealing.Write([1, 2, 3]);
        await sealing.FinishAsync(CancellationToken.None);
        Assert.False(sealing.CanWrite);
        Assert.Throws<InvalidOperationException>(() => sealing.Write([4]));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await sealing.WriteAsync(new byte[] { 4 }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => sealing.FinishAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Dispose_WithoutFinish_LeavesSegmentThatNeverOpens()
    {
        using var key = SegmentSamples.Key();
        var plain = SegmentSamples.Plaintext(2 * P + 5);
        var blob = new MemoryStream();
        await using (var sealing = new SealingStream(blob, key))
        {
            await sealing.WriteAsync(plain);
            Assert.Equal(2 * P + 5, sealing.PlainLength);
            Assert.Equal(2 * (P + 16), sealing.SealedLength);
        }
        foreach (var length in new long[] { 2 * P + 5, 2 * P, P + 1 })
        {
            await Assert.ThrowsAsync<SegmentIntegrityException>(() =>
                SegmentSamples.OpenAsync(blob.ToArray(), key, length, 0, length));
        }
    }

    [Fact]
    public async Task Dispose_LeaveOpenFalse_DisposesInner()
    {
        using var key = SegmentSamples.Key();
        var inner = new MemoryStream();
        var sealing = new SealingStream(inner, key, leaveOpen: false);
        await sealing.FinishAsync(CancellationToken.None);
        await sealing.DisposeAsync();
        Assert.False(inner.CanWrite);
        Assert.Throws<ObjectDisposedException>(() => sealing.Write([1]));

        var kept = new MemoryStream();
        new SealingStream(kept, key).Dispose();
        Assert.True(kept.CanWrite);
    }

    [Fact]
    public void SealingStream_ReadAndSeek_AreNotSupported()
    {
        using var key = SegmentSamples.Key();
        using var sealing = new SealingStream(new MemoryStream(), key);
        Assert.False(sealing.CanRead);
        Assert.False(sealing.CanSeek);
        Assert.Throws<NotSupportedException>(() => sealing.Read(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => sealing.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => sealing.Length);
    }
}

/// <summary>A sink that completes every write synchronously and keeps nothing.</summary>
internal sealed class SyncSink : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => 0;
    public override long Position { get => 0; set { } }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) { }
    public override void Write(ReadOnlySpan<byte> buffer) { }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => default;
}
