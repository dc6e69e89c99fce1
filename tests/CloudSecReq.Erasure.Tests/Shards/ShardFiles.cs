using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Shards;

namespace CloudSecReq.Erasure.Tests.Shards;

internal static class ShardFiles
{
    public static MemoryStream[] Write(ReedSolomonCodec codec, int blockSize, byte[] data)
    {
        var files = Enumerable.Range(0, codec.TotalShards).Select(_ => new MemoryStream()).ToArray();
        new StripeWriter(codec, blockSize)
            .WriteAsync(new MemoryStream(data), data.Length, files, CancellationToken.None).GetAwaiter().GetResult();
        return files;
    }

    public static Stream?[] Open(IEnumerable<byte[]> files) => files.Select(f => (Stream?)new MemoryStream(f)).ToArray();
}
