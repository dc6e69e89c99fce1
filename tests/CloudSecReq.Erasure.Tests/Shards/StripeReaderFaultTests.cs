using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Shards;

namespace CloudSecReq.Erasure.Tests.Shards;

public sealed class StripeReaderFaultTests
{
    private const int Block = 4096;

    private readonly ReedSolomonCodec _codec = new(4, 2);
    private readonly byte[] _data;
    private readonly byte[][] _files;

    public StripeReaderFaultTests()
    {
        _data = new byte[5 * 4 * Block + 1234];
        new Random(8).NextBytes(_data);
        _files = ShardFiles.Write(_codec, Block, _data).Select(f => f.ToArray()).ToArray();
    }

    [Fact]
    public async Task ReadAsync_BitrotInDataBlock_RebuildsAndNamesShard()
    {
        // Flip one byte in stripe 2 of shard 1.
        _files[1][64 + 2 * (Block + 4) + 100] ^= 1;
        (var output, var result) = await ReadAsync(ShardFiles.Open(_files));
        Assert.Equal(_data, output);
        var fault = Assert.Single(result.Faults);
        Assert.Equal((1, ShardFaultKind.ChecksumMismatch, 2L), (fault.ShardIndex, fault.Kind, fault.Stripe));
        Assert.Contains("Shard 1", fault.Detail);
    }

    [Fact]
    public async Task ReadAsync_CorruptChecksumBytes_RebuildsAndNamesShard()
    {
        _files[3][64 + Block] ^= 0x80;
        (var output, var result) = await ReadAsync(ShardFiles.Open(_files));
        Assert.Equal(_data, output);
        Assert.Equal(3, Assert.Single(result.Faults).ShardIndex);
    }

    [Fact]
    public async Task ReadAsync_TruncatedShard_RebuildsAndReportsTruncation()
    {
        _files[0] = _files[0][..(64 + 3 * (Block + 4) + 10)];
        (var output, var result) = await ReadAsync(ShardFiles.Open(_files));
        Assert.Equal(_data, output);
        Assert.All(result.Faults, f => Assert.Equal(0, f.ShardIndex));
        Assert.Contains(result.Faults, f => f.Kind == ShardFaultKind.Truncated && f.Stripe == 3);
    }

    [Fact]
    public async Task ReadAsync_CorruptHeader_TreatsShardAsLost()
    {
        _files[2][20] ^= 1;
        (var output, var result) = await ReadAsync(ShardFiles.Open(_files));
        Assert.Equal(_data, output);
        var fault = Assert.Single(result.Faults);
        Assert.Equal((2, ShardFaultKind.HeaderInvalid), (fault.ShardIndex, fault.Kind));
    }

    [Fact]
    public async Task ReadAsync_SwappedShardFiles_DetectsMismatchAndRebuilds()
    {
        (_files[0], _files[1]) = (_files[1], _files[0]);
        (var output, var result) = await ReadAsync(ShardFiles.Open(_files));
        Assert.Equal(_data, output);
        Assert.Equal([0, 1], result.Faults.Select(f => f.ShardIndex).Order());
        Assert.All(result.Faults, f => Assert.Equal(ShardFaultKind.HeaderMismatch, f.Kind));
    }

    [Fact]
    public async Task ReadAsync_MoreThanMBadShards_ThrowsNamingThem()
    {
        _files[1][64 + 5] ^= 1;
        _files[4] = _files[4][..100];
        var streams = ShardFiles.Open(_files);
        streams[2] = null;
        var error = await Assert.ThrowsAsync<ShardLossException>(() => ReadAsync(streams));
        Assert.Equal([1, 2, 4], error.UnavailableShards.Order());
        Assert.Contains("Shard 1", error.Message);
        Assert.Contains("Shard 4", error.Message);
    }

    [Fact]
    public async Task ReadAsync_Range_ReadsOnlyTheBlocksItTouches()
    {
        var counting = _files.Select(f => new CountingStream(f)).ToArray();
        // Bytes inside stripe 3, data shard 2 only.
        var offset = 3L * 4 * Block + 2 * Block + 10;
        var output = new MemoryStream();
        var result = await new StripeReader(_codec).ReadAsync(counting, output, offset, 100, CancellationToken.None);
        Assert.Empty(result.Faults);
        Assert.Equal(_data.AsSpan((int)offset, 100).ToArray(), output.ToArray());
        // Shard 0 for the layout header; shard 2 for its header and the one block; nothing else.
        Assert.Equal(ShardHeader.SizeBytes, counting[0].BytesRead);
        Assert.Equal(ShardHeader.SizeBytes + Block + 4, counting[2].BytesRead);
        Assert.All(new[] { 1, 3, 4, 5 }, i => Assert.Equal(0, counting[i].BytesRead));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task RebuildShardsAsync_LostShard_RecreatesIdenticalFile(int lost)
    {
        var original = _files[lost];
        var streams = ShardFiles.Open(_files);
        streams[lost] = null;
        _files[1][64 + 7] ^= 1; // bitrot elsewhere is worked around and reported
        streams[1] = new MemoryStream(_files[1]);
        var rebuilt = new MemoryStream();
        var result = await new StripeReader(_codec).RebuildShardsAsync(streams, [lost], [rebuilt], CancellationToken.None);
        Assert.Equal(original, rebuilt.ToArray());
        Assert.Equal(rebuilt.Length, result.BytesWritten);
        // Shard 1's bad block is reported; the missing target too where its block was wanted (a data shard).
        Assert.Contains(result.Faults, f => f.ShardIndex == 1);
        Assert.All(result.Faults, f => Assert.True(f.ShardIndex == 1 || f.ShardIndex == lost, f.ToString()));
    }

    [Fact]
    public async Task RebuildShardsAsync_BadBlocksInFourShardsAtMostTwoPerStripe_RecreatesEveryFileIdentically()
    {
        var originals = _files.Select(f => f.ToArray()).ToArray();
        // Four shards damaged, more than m = 2 in total; stripe 1 loses two blocks, the others at most one.
        _files[0][64 + 0 * (Block + 4) + 5] ^= 1;
        _files[1][64 + 1 * (Block + 4) + 5] ^= 1;
        _files[4][64 + 1 * (Block + 4) + 5] ^= 1;
        _files[5][64 + 2 * (Block + 4) + 5] ^= 1;
        int[] targets = [0, 1, 4, 5];
        var rebuilt = targets.Select(_ => new MemoryStream()).ToArray();
        var result = await new StripeReader(_codec).RebuildShardsAsync(ShardFiles.Open(_files), targets, rebuilt, CancellationToken.None);
        for (var t = 0; t < targets.Length; t++)
        {
            Assert.Equal(originals[targets[t]], rebuilt[t].ToArray());
        }
        Assert.Equal(rebuilt[0].Length, result.BytesWritten);
        Assert.True(result.Faults.All(f => f.Kind == ShardFaultKind.ChecksumMismatch && targets.Contains(f.ShardIndex)), string.Join("; ", result.Faults));
    }

    [Fact]
    public async Task RebuildShardsAsync_ThreeBadBlocksInOneStripe_ThrowsShardLoss()
    {
        foreach (var i in new[] { 0, 2, 5 })
        {
            _files[i][64 + 3 * (Block + 4) + 1] ^= 1;
        }
        var rebuilt = new[] { new MemoryStream(), new MemoryStream(), new MemoryStream() };
        await Assert.ThrowsAsync<ShardLossException>(() => new StripeReader(_codec).RebuildShardsAsync(ShardFiles.Open(_files), [0, 2, 5], rebuilt, CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_ForwardOnlyStreamsWithBitrot_ReturnsObjectAndRange()
    {
        _files[2][64 + 4 * (Block + 4) + 3] ^= 1;
        Stream?[] Forward() => _files.Select(f => (Stream?)new ForwardOnlyStream(f)).ToArray();
        (var output, var result) = await ReadAsync(Forward());
        Assert.Equal(_data, output);
        Assert.Equal((2, 4L), (Assert.Single(result.Faults).ShardIndex, Assert.Single(result.Faults).Stripe));

        var range = new MemoryStream();
        var offset = 2L * 4 * Block + 5;
        await new StripeReader(_codec).ReadAsync(Forward(), range, offset, 3L * 4 * Block, CancellationToken.None);
        Assert.Equal(_data.AsSpan((int)offset, 3 * 4 * Block).ToArray(), range.ToArray());
    }

    private async Task<(byte[] Output, StripeReadResult Result)> ReadAsync(Stream?[] streams)
    {
        var output = new MemoryStream();
        var result = await new StripeReader(_codec).ReadAsync(streams, output, CancellationToken.None);
        return (output.ToArray(), result);
    }
}
