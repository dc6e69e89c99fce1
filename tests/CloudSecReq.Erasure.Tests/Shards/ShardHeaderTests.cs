using CloudSecReq.Erasure.Shards;

namespace CloudSecReq.Erasure.Tests.Shards;

public sealed class ShardHeaderTests
{
    [Fact]
    public void Write_ThenTryRead_RoundTrips()
    {
        var header = new ShardHeader(12, 4, 13, 1 << 20, 123_456_789_012);
        var bytes = new byte[ShardHeader.SizeBytes];
        header.Write(bytes);
        Assert.Null(ShardHeader.TryRead(bytes, out var read));
        Assert.Equal(header, read);
        Assert.Equal("CSRSHARD"u8.ToArray(), bytes[..8]);
    }

    [Fact]
    public void TryRead_AnyFlippedBit_IsRejected()
    {
        var bytes = new byte[ShardHeader.SizeBytes];
        new ShardHeader(4, 2, 1, 4096, 10_000).Write(bytes);
        for (var bit = 0; bit < ShardHeader.SizeBytes * 8; bit++)
        {
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotNull(ShardHeader.TryRead(bytes, out _));
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        }
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(1, 1, 1)]
    [InlineData(16_384, 1, 4096)]
    [InlineData(16_385, 2, 1)]
    [InlineData(20_000, 2, 904)]
    public void Layout_LastStripe_SpreadsRemainderOverDataShards(long length, long stripes, int lastBlock)
    {
        var header = new ShardHeader(4, 2, 0, 4096, length);
        Assert.Equal(stripes, header.StripeCount);
        if (stripes > 0)
        {
            Assert.Equal(lastBlock, header.BlockBytes(stripes - 1));
        }
    }
}
