using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Shards;

namespace CloudSecReq.Erasure.Tests.Shards;

public sealed class ShardVerifierTests
{
    private const int Block = 4096;

    private readonly ReedSolomonCodec _codec = new(4, 2);
    private readonly byte[][] _files;

    public ShardVerifierTests()
    {
        var data = new byte[5 * 4 * Block + 1234];
        new Random(9).NextBytes(data);
        _files = ShardFiles.Write(_codec, Block, data).Select(f => f.ToArray()).ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task VerifyAsync_CleanShard_NoFaults(int index)
    {
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(_files[index]), index, CancellationToken.None);
        Assert.Empty(result.Faults);
        Assert.True(result.IsHealthy);
        Assert.Equal(index, result.Header?.ShardIndex);
        Assert.Equal(_files[index].Length, result.BytesRead);
        Assert.Equal(_files[index].Length, result.Header?.FileLengthBytes);
    }

    [Fact]
    public async Task VerifyAsync_ForwardOnlyStreamWithoutExpectedIndex_UsesHeaderIndex()
    {
        var result = await ShardVerifier.VerifyAsync(new ForwardOnlyStream(_files[4]), null, CancellationToken.None);
        Assert.True(result.IsHealthy);
        Assert.Equal(4, result.Header?.ShardIndex);
    }

    [Fact]
    public async Task VerifyAsync_EmptyObject_NoFaults()
    {
        var files = ShardFiles.Write(_codec, Block, []);
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(files[1].ToArray()), 1, CancellationToken.None);
        Assert.True(result.IsHealthy);
        Assert.Equal(ShardHeader.SizeBytes, result.BytesRead);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 100)]
    [InlineData(5, 0)]
    [InlineData(5, 308)] // the last stripe's blocks are ceil(1234 / 4) = 309 bytes
    public async Task VerifyAsync_FlippedBlockByte_ChecksumMismatchAtThatStripe(int stripe, int offsetInBlock)
    {
        _files[1][64 + stripe * (Block + 4) + offsetInBlock] ^= 0x10;
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(_files[1]), 1, CancellationToken.None);
        var fault = Assert.Single(result.Faults);
        Assert.Equal((1, ShardFaultKind.ChecksumMismatch, stripe), (fault.ShardIndex, fault.Kind, fault.Stripe));
        Assert.Contains("stripe " + stripe, fault.Detail);
        Assert.Equal(_files[1].Length, result.BytesRead);
    }

    [Fact]
    public async Task VerifyAsync_FlippedChecksumByteAndBlockMovedStripe_BothReported()
    {
        _files[2][64 + Block + 2] ^= 1; // stripe 0's stored checksum
        // Stripe 1's block and checksum copied over stripe 3: valid bytes, wrong position.
        Array.Copy(_files[2], 64 + 1 * (Block + 4), _files[2], 64 + 3 * (Block + 4), Block + 4);
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(_files[2]), 2, CancellationToken.None);
        Assert.Equal([0L, 3L], result.Faults.Select(f => f.Stripe!.Value));
        Assert.All(result.Faults, f => Assert.Equal(ShardFaultKind.ChecksumMismatch, f.Kind));
    }

    [Fact]
    public async Task VerifyAsync_Truncated_ReportsStripeWhereFileEnds()
    {
        var truncated = _files[0][..(64 + 3 * (Block + 4) + 10)];
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(truncated), 0, CancellationToken.None);
        var fault = Assert.Single(result.Faults);
        Assert.Equal((ShardFaultKind.Truncated, 3), (fault.Kind, fault.Stripe));
        Assert.Equal(truncated.Length, result.BytesRead);
        Assert.NotNull(result.Header);
    }

    [Fact]
    public async Task VerifyAsync_TruncatedInsideChecksum_ReportsTruncated()
    {
        var truncated = _files[0][..^2];
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(truncated), 0, CancellationToken.None);
        Assert.Equal((ShardFaultKind.Truncated, 5), (Assert.Single(result.Faults).Kind, Assert.Single(result.Faults).Stripe));
    }

    [Fact]
    public async Task VerifyAsync_TruncatedHeader_ReportsTruncatedWithoutHeader()
    {
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(_files[0][..40]), 0, CancellationToken.None);
        var fault = Assert.Single(result.Faults);
        Assert.Equal((ShardFaultKind.Truncated, null), (fault.Kind, fault.Stripe));
        Assert.Null(result.Header);
        Assert.Equal(40, result.BytesRead);
    }

    [Fact]
    public async Task VerifyAsync_TrailingBytes_ReportsHowMany()
    {
        byte[] longer = [.. _files[3], 1, 2, 3];
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(longer), 3, CancellationToken.None);
        var fault = Assert.Single(result.Faults);
        Assert.Equal((3, ShardFaultKind.TrailingBytes, null), (fault.ShardIndex, fault.Kind, fault.Stripe));
        Assert.Contains("3 bytes follow", fault.Detail);
        Assert.Equal(longer.Length, result.BytesRead);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(61)]
    public async Task VerifyAsync_CorruptHeader_HeaderInvalid(int headerByte)
    {
        _files[2][headerByte] ^= 4;
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(_files[2]), 2, CancellationToken.None);
        var fault = Assert.Single(result.Faults);
        Assert.Equal((2, ShardFaultKind.HeaderInvalid), (fault.ShardIndex, fault.Kind));
        Assert.Null(result.Header);
        Assert.False(result.IsHealthy);
    }

    [Fact]
    public async Task VerifyAsync_CorruptHeaderWithoutExpectedIndex_NamesShardMinusOne()
    {
        _files[2][30] ^= 4;
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(_files[2]), null, CancellationToken.None);
        Assert.Equal(-1, Assert.Single(result.Faults).ShardIndex);
    }

    [Fact]
    public async Task VerifyAsync_HeaderOfAnotherShard_HeaderMismatchAndStillChecksBlocks()
    {
        _files[4][64 + 2 * (Block + 4)] ^= 1;
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(_files[4]), 1, CancellationToken.None);
        Assert.Equal(4, result.Header?.ShardIndex);
        Assert.Equal(
            [(1, ShardFaultKind.HeaderMismatch, null), (1, ShardFaultKind.ChecksumMismatch, 2L)],
            result.Faults.Select(f => (f.ShardIndex, f.Kind, f.Stripe)));
        Assert.Contains("says it is shard 4", result.Faults[0].Detail);
    }

    [Fact]
    public async Task VerifyAsync_BlocksLargerThanItsBuffer_ChecksEveryPiece()
    {
        // 300,000-byte blocks are read in pieces; corrupt the last block byte, just before its checksum.
        var codec = new ReedSolomonCodec(2, 1);
        const int block = 300_000;
        var data = new byte[2 * 2 * block + 5];
        new Random(4).NextBytes(data);
        var files = ShardFiles.Write(codec, block, data).Select(f => f.ToArray()).ToArray();
        Assert.True((await ShardVerifier.VerifyAsync(new MemoryStream(files[2]), 2, CancellationToken.None)).IsHealthy);

        files[2][64 + 2 * block + 4 - 1] ^= 1;
        var result = await ShardVerifier.VerifyAsync(new MemoryStream(files[2]), 2, CancellationToken.None);
        Assert.Equal((ShardFaultKind.ChecksumMismatch, 1), (Assert.Single(result.Faults).Kind, Assert.Single(result.Faults).Stripe));
    }

    [Fact]
    public async Task VerifyAsync_Cancelled_Throws()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ShardVerifier.VerifyAsync(new MemoryStream(_files[0]), 0, new CancellationToken(canceled: true)));
    }
}
