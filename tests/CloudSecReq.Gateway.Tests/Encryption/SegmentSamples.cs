using CloudSecReq.Gateway.Encryption;

namespace CloudSecReq.Gateway.Tests.Encryption;

/// Fixed keys and plaintexts, and seal/open shortcuts over byte arrays, for the Encryption tests.
internal static class SegmentSamples
{
    public const int P = SealedFormat.PackagePlainBytes;

    /// Data key 00 01 … 1f and salt a0 … af: the inputs of the known-answer vectors.
    public static byte[] FixedDataKey() => Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    public static byte[] FixedSalt() => Enumerable.Range(0xa0, 16).Select(i => (byte)i).ToArray();

    public static SegmentKey Key(int partNumber = 1, byte[]? dataKey = null, byte[]? salt = null) =>
        SegmentKey.Derive(dataKey ?? FixedDataKey(), salt ?? FixedSalt(), partNumber);

    public static byte[] Plaintext(long length, int seed = 1)
    {
        var plain = new byte[length];
        new Random(seed).NextBytes(plain);
        return plain;
    }

    /// Seals in writes of <paramref name="chunkBytes"/>, alternating sync and async writes.
    public static async Task<byte[]> SealAsync(byte[] plain, SegmentKey key, int chunkBytes = 10_000)
    {
        var blob = new MemoryStream();
        await using (var sealing = new SealingStream(blob, key))
        {
            var async = false;
            for (var at = 0; at < plain.Length; at += chunkBytes)
            {
                var chunk = plain.AsMemory(at, Math.Min(chunkBytes, plain.Length - at));
                if (async)
                {
                    await sealing.WriteAsync(chunk);
                }
                else
                {
                    sealing.Write(chunk.Span);
                }
                async = !async;
            }
            await sealing.FinishAsync(CancellationToken.None);
            Assert.Equal(plain.Length, sealing.PlainLength);
            Assert.Equal(blob.Length, sealing.SealedLength);
        }
        return blob.ToArray();
    }

    /// A read-only view of the blob from a stored offset (empty past its end).
    public static Func<long, Stream> OpenAt(byte[] blob) => storedOffset =>
    {
        var start = (int)Math.Min(storedOffset, blob.Length);
        return new MemoryStream(blob, start, blob.Length - start, writable: false);
    };

    public static async Task<byte[]> OpenAsync(byte[] blob, SegmentKey key, long plainLength, long plainOffset, long count)
    {
        var destination = new MemoryStream();
        await SegmentOpener.CopyPlaintextAsync(OpenAt(blob), key, plainLength, plainOffset, count, destination, CancellationToken.None);
        return destination.ToArray();
    }
}
