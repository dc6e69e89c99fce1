using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Shards;
using FsCheck;
using FsCheck.Fluent;

namespace CloudSecReq.Erasure.Tests.Shards;

public sealed class StripeRoundTripTests
{
    [Fact]
    public void ReadAsync_AnyShapeLengthAndRange_ReturnsOriginalBytes()
    {
        var shapes =
            (from k in Gen.Choose(1, 8)
             from m in Gen.Choose(1, 4)
             from block in Gen.Elements(1, 7, 64, 100, 4096)
             from length in Gen.OneOf(Gen.Choose(0, 50), Gen.Choose(0, 40_000))
             from seed in Gen.Choose(0, int.MaxValue)
             select (k, m, block, length, seed)).ToArbitrary();
        Prop.ForAll(shapes, shape =>
        {
            var codec = new ReedSolomonCodec(shape.k, shape.m);
            var random = new Random(shape.seed);
            var data = new byte[shape.length];
            random.NextBytes(data);
            var files = ShardFiles.Write(codec, shape.block, data);

            // Lose up to m shards: a missing file or one corrupt byte in one of them.
            var lost = random.Next(0, shape.m + 1);
            var streams = files.Select(f => (Stream?)new MemoryStream(f.ToArray())).ToArray();
            foreach (var i in Enumerable.Range(0, codec.TotalShards).OrderBy(_ => random.Next()).Take(lost))
            {
                if (random.Next(2) == 0 || files[i].Length <= ShardHeader.SizeBytes)
                {
                    streams[i] = null;
                }
                else
                {
                    var bytes = files[i].ToArray();
                    bytes[random.Next(bytes.Length)] ^= 0x40;
                    streams[i] = new MemoryStream(bytes);
                }
            }
            long offset = random.Next(0, shape.length + 1);
            long count = random.Next(0, (int)(shape.length - offset) + 1);
            var output = new MemoryStream();
            var result = new StripeReader(codec)
                .ReadAsync(streams, output, offset, count, CancellationToken.None).GetAwaiter().GetResult();
            return result.BytesWritten == count
                && output.ToArray().AsSpan().SequenceEqual(data.AsSpan((int)offset, (int)count));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
    }

    [Fact]
    public async Task WriteAsync_SourceShorterThanDeclared_Throws()
    {
        var codec = new ReedSolomonCodec(2, 1);
        var shards = Enumerable.Range(0, 3).Select(_ => (Stream)new MemoryStream()).ToArray();
        await Assert.ThrowsAsync<EndOfStreamException>(() =>
            new StripeWriter(codec, 16).WriteAsync(new MemoryStream(new byte[10]), 11, shards, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() =>
            new StripeWriter(codec, 16).WriteAsync(new MemoryStream(new byte[10]), 9, shards, CancellationToken.None));
    }

    [Fact]
    public void WriteAsync_ShardFiles_HaveDocumentedLength()
    {
        var codec = new ReedSolomonCodec(4, 2);
        var files = ShardFiles.Write(codec, 1000, new byte[9_999]);
        // 3 stripes: 2 full (1000-byte blocks) and one of 1999 bytes -> 500-byte blocks.
        Assert.All(files, f => Assert.Equal(64 + 2 * 1004 + 504, f.Length));
    }

    [Fact]
    public async Task WriteThenRead_AsyncFileStreams_RebuildsLostAndCorruptShards()
    {
        var directory = Directory.CreateTempSubdirectory("erasure-").FullName;
        try
        {
            var codec = new ReedSolomonCodec(8, 4);
            var data = new byte[3 * 8 * 65_536 + 777];
            new Random(12).NextBytes(data);
            var paths = Enumerable.Range(0, 12).Select(i => Path.Combine(directory, $"shard-{i}")).ToArray();
            var writes = paths.Select(p => new FileStream(p, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true)).ToArray();
            await new StripeWriter(codec, 65_536).WriteAsync(new MemoryStream(data), data.Length, writes, CancellationToken.None);
            foreach (var write in writes)
            {
                await write.DisposeAsync();
            }

            // Shard 3 gone, shards 0 and 9 with bitrot in stripe 1, shard 5 truncated.
            File.Delete(paths[3]);
            foreach (var shard in new[] { 0, 9 })
            {
                var bytes = await File.ReadAllBytesAsync(paths[shard]);
                bytes[64 + 65_540 + 1000] ^= 0xFF;
                await File.WriteAllBytesAsync(paths[shard], bytes);
            }
            using (var truncate = new FileStream(paths[5], FileMode.Open))
            {
                truncate.SetLength(64 + 2 * 65_540 + 5);
            }

            var reads = paths.Select(p => File.Exists(p)
                ? (Stream?)new FileStream(p, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true)
                : null).ToArray();
            try
            {
                var output = new MemoryStream();
                var result = await new StripeReader(codec).ReadAsync(reads, output, CancellationToken.None);
                Assert.Equal(data, output.ToArray());
                Assert.Equal([0, 3, 5, 9], result.Faults.Select(f => f.ShardIndex).Distinct().Order());
            }
            finally
            {
                foreach (var read in reads)
                {
                    read?.Dispose();
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
