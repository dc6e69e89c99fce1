using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Shards;
using FsCheck;
using FsCheck.Fluent;

namespace CloudSecReq.Erasure.Tests.Shards;

public sealed class StripeWritingStreamTests
{
    private const int Block = 64;

    private static readonly ReedSolomonCodec s_codec = new(4, 2);

    // k × B = 256: around one stripe, several stripes, and lengths that end anywhere in a stripe.
    public static TheoryData<int, ChunkPattern> Lengths()
    {
        var data = new TheoryData<int, ChunkPattern>();
        foreach (var length in new[] { 0, 1, 3, 4, 5, 63, 64, 65, 255, 256, 257, 511, 512, 3 * 256, 5 * 256 + 17, 7 * 256 + 250, 10_007 })
        {
            foreach (var pattern in Enum.GetValues<ChunkPattern>())
            {
                data.Add(length, pattern);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public async Task FinishAsync_AnyLengthAndChunking_MatchesStripeWriterAndReadsBack(int length, ChunkPattern pattern)
    {
        var data = RandomBytes(length, length);
        var expected = ShardFiles.Write(s_codec, Block, data);

        var files = await WriteAsync(s_codec, Block, data, pattern, seed: length);

        for (var i = 0; i < files.Length; i++)
        {
            Assert.Equal(expected[i].ToArray(), files[i].ToArray());
            Assert.Equal(files[i].Length, files[i].Position);
        }
        // Lose m shards (one parity, one data): still readable.
        var streams = ShardFiles.Open(files.Select(f => f.ToArray()));
        streams[1] = null;
        streams[5] = null;
        var output = new MemoryStream();
        var result = await new StripeReader(s_codec).ReadAsync(streams, output, CancellationToken.None);
        Assert.Equal(data, output.ToArray());
        // The reader reports a missing shard when it needs it: 1 for data, 5 only if 1 was not enough.
        Assert.All(result.Faults, f => Assert.Contains(f.ShardIndex, new[] { 1, 5 }));
    }

    [Fact]
    public void FinishAsync_AnyShapeLengthAndChunks_MatchesStripeWriter()
    {
        var shapes =
            (from k in Gen.Choose(1, 8)
             from m in Gen.Choose(1, 4)
             from block in Gen.Elements(1, 3, 7, 64, 100, 4096)
             from length in Gen.OneOf(Gen.Choose(0, 50), Gen.Choose(0, 40_000))
             from seed in Gen.Choose(0, int.MaxValue)
             select (k, m, block, length, seed)).ToArbitrary();
        Prop.ForAll(shapes, shape =>
        {
            var codec = new ReedSolomonCodec(shape.k, shape.m);
            var data = RandomBytes(shape.length, shape.seed);
            var expected = ShardFiles.Write(codec, shape.block, data);
            var files = WriteAsync(codec, shape.block, data, ChunkPattern.Random, shape.seed).GetAwaiter().GetResult();
            var random = new Random(shape.seed);
            var streams = ShardFiles.Open(files.Select(f => f.ToArray()));
            foreach (var i in Enumerable.Range(0, codec.TotalShards).OrderBy(_ => random.Next()).Take(shape.m))
            {
                streams[i] = null;
            }
            var output = new MemoryStream();
            new StripeReader(codec).ReadAsync(streams, output, CancellationToken.None).GetAwaiter().GetResult();
            return files.Zip(expected).All(pair => pair.First.ToArray().AsSpan().SequenceEqual(pair.Second.ToArray()))
                && output.ToArray().AsSpan().SequenceEqual(data);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
    }

    [Fact]
    public async Task FinishAsync_AsyncUnbufferedFileStreams_WritesSameFilesAsStripeWriter()
    {
        var directory = Directory.CreateTempSubdirectory("erasure-").FullName;
        try
        {
            var codec = new ReedSolomonCodec(8, 4);
            const int block = 65_536;
            var data = RandomBytes(3 * 8 * block + 777, 21);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.Asynchronous,
            };
            var shards = Enumerable.Range(0, 12).Select(i => new FileStream(Path.Combine(directory, $"shard-{i}"), options)).ToArray();
            try
            {
                long length;
                using (var stream = new StripeWritingStream(codec, block, shards))
                {
                    var random = new Random(5);
                    for (var offset = 0; offset < data.Length;)
                    {
                        var count = Math.Min(random.Next(1, 300_000), data.Length - offset);
                        await stream.WriteAsync(data.AsMemory(offset, count));
                        offset += count;
                    }
                    length = await stream.FinishAsync(CancellationToken.None);
                }
                Assert.Equal(data.Length, length);
                var expected = ShardFiles.Write(codec, block, data);
                for (var i = 0; i < shards.Length; i++)
                {
                    Assert.Equal(shards[i].Length, shards[i].Position);
                    Assert.Equal(expected[i].ToArray(), await File.ReadAllBytesAsync(shards[i].Name));
                }
            }
            finally
            {
                foreach (var shard in shards)
                {
                    await shard.DisposeAsync();
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task WriteAsync_BeforeFinish_HeadersAreInvalidAndLengthTracksBytes()
    {
        var files = NewFiles(s_codec);
        using var stream = new StripeWritingStream(s_codec, Block, files);
        await stream.WriteAsync(new byte[600]);
        Assert.Equal(600, stream.Length);
        Assert.Equal(600, stream.Position);
        // Two full stripes are already on the shards; the provisional header never reads as valid.
        Assert.All(files, f => Assert.Equal(ShardHeader.SizeBytes + 2 * (Block + 4), f.Length));
        Assert.All(files, f => Assert.NotNull(ShardHeader.TryRead(f.ToArray(), out _)));
        var verified = await ShardVerifier.VerifyAsync(new MemoryStream(files[0].ToArray()), 0, CancellationToken.None);
        Assert.Equal(ShardFaultKind.HeaderInvalid, Assert.Single(verified.Faults).Kind);
    }

    [Fact]
    public async Task WriteAsync_AfterFinish_ThrowsInvalidOperation()
    {
        using var stream = new StripeWritingStream(s_codec, Block, NewFiles(s_codec));
        await stream.WriteAsync(new byte[10]);
        Assert.Equal(10, await stream.FinishAsync(CancellationToken.None));
        Assert.False(stream.CanWrite);
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.WriteAsync(new byte[1]).AsTask());
        Assert.Throws<InvalidOperationException>(() => stream.Write(new byte[1]));
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.FinishAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Dispose_WithoutFinish_DoesNotThrowAndRefusesWrites()
    {
        var files = NewFiles(s_codec);
        var stream = new StripeWritingStream(s_codec, Block, files);
        await stream.WriteAsync(new byte[300]);
        stream.Dispose();
        stream.Dispose();
        await stream.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => stream.Write(new byte[1]));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.FinishAsync(CancellationToken.None));
        Assert.All(files, f => Assert.True(f.CanWrite)); // the shard streams stay the caller's
    }

    [Fact]
    public async Task WriteAsync_ShardWriteFails_LaterCallsThrowInvalidOperation()
    {
        Stream[] files = [.. NewFiles(s_codec)];
        files[3] = new FailingWriteStream();
        using var stream = new StripeWritingStream(s_codec, Block, files);
        await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[10]).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.FinishAsync(CancellationToken.None));
    }

    [Fact]
    public void Constructor_NonSeekableOrWrongCount_Throws()
    {
        Stream[] files = [.. NewFiles(s_codec)];
        files[2] = new WriteOnlyStream();
        Assert.Throws<ArgumentException>(() => new StripeWritingStream(s_codec, Block, files));
        Assert.Throws<ArgumentException>(() => new StripeWritingStream(s_codec, Block, NewFiles(s_codec)[..5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StripeWritingStream(s_codec, 0, NewFiles(s_codec)));
    }

    [Fact]
    public void Stream_IsWriteOnlyAndForwardOnly()
    {
        using var stream = new StripeWritingStream(s_codec, Block, NewFiles(s_codec));
        Assert.False(stream.CanRead);
        Assert.False(stream.CanSeek);
        Assert.True(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Read(new byte[1]));
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.Position = 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    [InlineData(1000)]
    public async Task StripeWriterWriteAsync_NonSeekableShards_WritesSameBytes(int length)
    {
        var data = RandomBytes(length, 3);
        var expected = ShardFiles.Write(s_codec, Block, data);
        var files = Enumerable.Range(0, s_codec.TotalShards).Select(_ => new WriteOnlyStream()).ToArray();
        await new StripeWriter(s_codec, Block).WriteAsync(new ForwardOnlyStream(data), length, files, CancellationToken.None);
        for (var i = 0; i < files.Length; i++)
        {
            Assert.Equal(expected[i].ToArray(), files[i].Written.ToArray());
        }
    }

    private static async Task<MemoryStream[]> WriteAsync(ReedSolomonCodec codec, int block, byte[] data, ChunkPattern pattern, int seed)
    {
        var files = NewFiles(codec);
        using var stream = new StripeWritingStream(codec, block, files);
        var random = new Random(seed);
        var stripeBytes = codec.DataShards * block;
        for (var offset = 0; offset < data.Length;)
        {
            var count = pattern switch
            {
                ChunkPattern.Whole => data.Length,
                ChunkPattern.OneByte => 1,
                ChunkPattern.SpanningStripes => stripeBytes + stripeBytes / 2 + 1,
                _ => random.Next(1, 2 * stripeBytes + 2),
            };
            count = Math.Min(count, data.Length - offset);
            if (pattern == ChunkPattern.SyncRandom)
            {
                stream.Write(data, offset, count);
            }
            else
            {
                await stream.WriteAsync(data.AsMemory(offset, count));
            }
            offset += count;
        }
        Assert.Equal(data.Length, stream.Length);
        Assert.Equal(data.Length, await stream.FinishAsync(CancellationToken.None));
        return files;
    }

    private static MemoryStream[] NewFiles(ReedSolomonCodec codec) =>
        Enumerable.Range(0, codec.TotalShards).Select(_ => new MemoryStream()).ToArray();

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
