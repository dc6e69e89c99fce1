using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Tests.Codec;

public sealed class ReedSolomonCodecAllocationTests
{
    [Fact]
    public void EncodeVerifyReconstructUpdate_Warm_AllocateNothing()
    {
        var codec = new ReedSolomonCodec(8, 4);
        var shards = ReedSolomonCodecTests.RandomShards(codec, 100_000, seed: 5);
        var stripe = new byte[12 * 4096];
        bool[] present = [false, true, true, false, true, true, true, true, true, false, true, true];
        var newData = new byte[100_000];
        var oldData = shards[0].ToArray();

        void RunAll()
        {
            codec.Encode(shards);
            _ = codec.Verify(shards);
            codec.Reconstruct(shards, present);
            codec.Update(0, oldData, newData, shards.AsSpan(8));
            codec.Update(0, newData, oldData, shards.AsSpan(8));
            codec.Encode(stripe, 4096);
            codec.Reconstruct(stripe, 4096, present);
        }

        RunAll(); // warm: decode plan cached, pool primed
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
