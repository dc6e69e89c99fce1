namespace CloudSecReq.Erasure.Bench;

internal static class StripeData
{
    /// Random shards, each in its own 64-byte-aligned pinned buffer (as the stripe writer has them).
    public static Memory<byte>[] Create(int count, int shardBytes)
    {
        var random = new Random(1);
        var shards = new Memory<byte>[count];
        for (var i = 0; i < count; i++)
        {
            var buffer = GC.AllocateArray<byte>(shardBytes + 64, pinned: true);
            random.NextBytes(buffer);
            var offset = Alignment(buffer);
            shards[i] = buffer.AsMemory(offset, shardBytes);
        }
        return shards;
    }

    private static unsafe int Alignment(byte[] pinned)
    {
        fixed (byte* start = pinned)
        {
            return (int)((64 - ((nint)start & 63)) & 63);
        }
    }
}
