using CloudSecReq.Gateway.Encryption;

namespace CloudSecReq.Gateway.Tests.Encryption;

public sealed class SegmentOpenerTests
{
    private const int P = SealedFormat.PackagePlainBytes;
    private const int Length = 3 * P + 1000;

    [Fact]
    public async Task CopyPlaintext_EveryBoundaryRange_EqualsPlaintextSlice()
    {
        using var key = SegmentSamples.Key(4);
        var plain = SegmentSamples.Plaintext(Length);
        var blob = await SegmentSamples.SealAsync(plain, key);
        var points = new SortedSet<int> { 0, 1, 999, Length - 1, Length };
        for (var i = 1; i <= 3; i++)
        {
            points.UnionWith([i * P - 1, i * P, i * P + 1]);
        }
        foreach (var start in points)
        {
            foreach (var end in points.Where(e => e >= start))
            {
                var read = await SegmentSamples.OpenAsync(blob, key, Length, start, end - start);
                Assert.True(plain.AsSpan(start, end - start).SequenceEqual(read), $"range [{start}, {end})");
            }
        }
    }

    [Theory]
    [InlineData(0, 1, 0)]
    [InlineData(P - 1, 2, 0)]
    [InlineData(P, 1, P + 16)]
    [InlineData(2 * P + 7, 100, 2 * (P + 16))]
    [InlineData(3 * P, 1000, 3 * (P + 16))]
    public async Task CopyPlaintext_Range_OpensBlobAtFirstTouchedPackage(long offset, long count, long expectedStoredOffset)
    {
        using var key = SegmentSamples.Key();
        var plain = SegmentSamples.Plaintext(Length);
        var blob = await SegmentSamples.SealAsync(plain, key);
        var opened = new List<long>();
        var destination = new MemoryStream();
        await SegmentOpener.CopyPlaintextAsync(
            at => { opened.Add(at); return SegmentSamples.OpenAt(blob)(at); },
            key, Length, offset, count, destination, CancellationToken.None);
        Assert.Equal([expectedStoredOffset], opened);
        Assert.Equal(plain.AsSpan((int)offset, (int)count).ToArray(), destination.ToArray());
    }

    [Fact]
    public async Task CopyPlaintext_ZeroCountOfNonEmptySegment_ReadsNothing()
    {
        using var key = SegmentSamples.Key();
        var opened = false;
        await SegmentOpener.CopyPlaintextAsync(_ => { opened = true; return Stream.Null; }, key, 10, 5, 0, Stream.Null, CancellationToken.None);
        Assert.False(opened);
    }

    [Fact]
    public async Task CopyPlaintext_EmptySegment_VerifiesTheEmptyPackage()
    {
        using var key = SegmentSamples.Key();
        var blob = await SegmentSamples.SealAsync([], key);
        Assert.Empty(await SegmentSamples.OpenAsync(blob, key, 0, 0, 0));
        await Assert.ThrowsAsync<SegmentIntegrityException>(() => SegmentSamples.OpenAsync([], key, 0, 0, 0));
    }

    [Theory]
    [InlineData(10, 0, 11)]
    [InlineData(10, 11, 0)]
    [InlineData(10, 5, 6)]
    [InlineData(10, -1, 1)]
    [InlineData(10, 0, -1)]
    [InlineData(-1, 0, 0)]
    public async Task CopyPlaintext_RangeOutsideSegment_Throws(long plainLength, long offset, long count)
    {
        using var key = SegmentSamples.Key();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            SegmentOpener.CopyPlaintextAsync(_ => Stream.Null, key, plainLength, offset, count, Stream.Null, CancellationToken.None));
    }

    [Fact]
    public async Task CopyPlaintext_Always_DisposesTheBlobStream()
    {
        using var key = SegmentSamples.Key();
        var blob = await SegmentSamples.SealAsync(SegmentSamples.Plaintext(100), key);
        var streams = new List<MemoryStream>();
        Func<long, Stream> openAt = at =>
        {
            var s = (MemoryStream)SegmentSamples.OpenAt(blob)(at);
            streams.Add(s);
            return s;
        };
        await SegmentOpener.CopyPlaintextAsync(openAt, key, 100, 0, 100, Stream.Null, CancellationToken.None);
        await Assert.ThrowsAsync<SegmentIntegrityException>(() =>
            SegmentOpener.CopyPlaintextAsync(openAt, key, 99, 0, 99, Stream.Null, CancellationToken.None));
        Assert.Equal(2, streams.Count);
        Assert.All(streams, s => Assert.False(s.CanRead));
    }
}
