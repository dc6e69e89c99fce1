using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Tests.Kernels;

namespace CloudSecReq.Erasure.Tests.Codec;

public sealed class ReedSolomonCodecTests
{
    public static TheoryData<ErasureKernel> Kernels() => KernelTheoryData.Supported();

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Encode_ThenLoseAnyMShards_ReconstructRestoresAll(ErasureKernel kernel)
    {
        var codec = new ReedSolomonCodec(4, 2, kernel);
        var shards = RandomShards(codec, 1000, seed: 7);
        codec.Encode(shards);
        var original = shards.Select(s => s.ToArray()).ToArray();
        for (var a = 0; a < 6; a++)
        {
            for (var b = a + 1; b < 6; b++)
            {
                var present = Enumerable.Repeat(true, 6).ToArray();
                present[a] = present[b] = false;
                shards[a].Span.Fill(0xAA);
                shards[b].Span.Fill(0x55);
                codec.Reconstruct(shards, present);
                for (var i = 0; i < 6; i++)
                {
                    Assert.True(original[i].AsSpan().SequenceEqual(shards[i].Span), $"shard {i} after losing {a},{b}");
                }
            }
        }
    }

    [Fact]
    public void Encode_MatchesIsalCauchyParity()
    {
        // Parity row i, column j is 1 / ((k + i) xor j) as ISA-L's gf_gen_cauchy1_matrix makes it.
        var codec = new ReedSolomonCodec(3, 2);
        Assert.Equal(CloudSecReq.Erasure.Galois.GaloisField.Inverse(3 ^ 0), codec.EncodingCoefficient(3, 0));
        Assert.Equal(CloudSecReq.Erasure.Galois.GaloisField.Inverse(4 ^ 2), codec.EncodingCoefficient(4, 2));
        Memory<byte>[] shards = [new byte[] { 1 }, new byte[] { 0 }, new byte[] { 0 }, new byte[1], new byte[1]];
        codec.Encode(shards);
        Assert.Equal(codec.EncodingCoefficient(3, 0), shards[3].Span[0]);
        Assert.Equal(codec.EncodingCoefficient(4, 0), shards[4].Span[0]);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Verify_FlippedBitAnywhere_ReturnsFalse(ErasureKernel kernel)
    {
        var codec = new ReedSolomonCodec(5, 3, kernel);
        var shards = RandomShards(codec, 70_000, seed: 3);
        codec.Encode(shards);
        Assert.True(codec.Verify(shards));
        foreach ((var shard, var offset) in new[] { (0, 0), (4, 69_999), (5, 65_536), (7, 12) })
        {
            shards[shard].Span[offset] ^= 0x10;
            Assert.False(codec.Verify(shards));
            shards[shard].Span[offset] ^= 0x10;
        }
        Assert.True(codec.Verify(shards));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Update_ChangedDataShard_EqualsFullEncode(ErasureKernel kernel)
    {
        var codec = new ReedSolomonCodec(6, 3, kernel);
        var shards = RandomShards(codec, 100_003, seed: 11);
        codec.Encode(shards);
        var oldData = shards[2].ToArray();
        var newData = new byte[oldData.Length];
        new Random(5).NextBytes(newData);
        codec.Update(2, oldData, newData, shards.AsSpan(6));
        newData.CopyTo(shards[2]);
        Assert.True(codec.Verify(shards));
    }

    [Fact]
    public void Reconstruct_DataOnly_LeavesMissingParityUntouched()
    {
        var codec = new ReedSolomonCodec(4, 2);
        var shards = RandomShards(codec, 333, seed: 1);
        codec.Encode(shards);
        var data1 = shards[1].ToArray();
        shards[1].Span.Clear();
        shards[5].Span.Fill(9);
        codec.Reconstruct(shards, [true, false, true, true, true, false], dataOnly: true);
        Assert.Equal(data1, shards[1].ToArray());
        Assert.All(shards[5].ToArray(), b => Assert.Equal(9, b));
    }

    [Fact]
    public void Reconstruct_TooFewShards_ThrowsNamingTheMissingOnes()
    {
        var codec = new ReedSolomonCodec(4, 2);
        var shards = RandomShards(codec, 64, seed: 1);
        var error = Assert.Throws<ShardLossException>(
            () => codec.Reconstruct(shards, [false, true, false, true, true, false]));
        Assert.Equal([0, 2, 5], error.UnavailableShards);
        Assert.Contains("0, 2, 5", error.Message);
    }

    [Fact]
    public void Encode_ContiguousStripe_EqualsShardList()
    {
        var codec = new ReedSolomonCodec(8, 4);
        var shards = RandomShards(codec, 777, seed: 2);
        var stripe = new byte[12 * 777];
        for (var i = 0; i < 8; i++)
        {
            shards[i].CopyTo(stripe.AsMemory(i * 777));
        }
        codec.Encode(shards);
        codec.Encode(stripe, 777);
        for (var i = 0; i < 12; i++)
        {
            Assert.True(shards[i].Span.SequenceEqual(stripe.AsSpan(i * 777, 777)));
        }
        Assert.True(codec.Verify(stripe, 777));
        var present = Enumerable.Repeat(true, 12).ToArray();
        present[0] = present[3] = present[9] = present[11] = false;
        stripe.AsSpan(0, 777).Clear();
        stripe.AsSpan(3 * 777, 777).Clear();
        codec.Reconstruct(stripe, 777, present);
        Assert.True(codec.Verify(stripe, 777));
    }

    [Fact]
    public void Encode_ShardsOfUnequalLength_Throws()
    {
        var codec = new ReedSolomonCodec(2, 1);
        Assert.Throws<ArgumentException>(() => codec.Encode([new byte[4], new byte[4], new byte[5]]));
        Assert.Throws<ArgumentException>(() => codec.Encode([new byte[4], new byte[4]]));
    }

    [Fact]
    public void Constructor_MoreThan256Shards_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomonCodec(200, 57));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomonCodec(0, 1));
        Assert.Equal(256, new ReedSolomonCodec(200, 56).TotalShards);
    }

    [Fact]
    public void Encode_AllKernels_ProduceIdenticalParity()
    {
        byte[]? reference = null;
        foreach (var kernel in ReedSolomonCodec.SupportedKernels)
        {
            var codec = new ReedSolomonCodec(12, 4, kernel);
            var shards = RandomShards(codec, 4099, seed: 99);
            codec.Encode(shards);
            var parity = shards[12..].SelectMany(s => s.ToArray()).ToArray();
            reference ??= parity;
            Assert.Equal(reference, parity);
        }
    }

    internal static Memory<byte>[] RandomShards(ReedSolomonCodec codec, int length, int seed)
    {
        var random = new Random(seed);
        var shards = new Memory<byte>[codec.TotalShards];
        for (var i = 0; i < shards.Length; i++)
        {
            // Offset slices so that shards are not vector-aligned.
            var buffer = new byte[length + 3];
            random.NextBytes(buffer);
            shards[i] = buffer.AsMemory(i % 4, length);
        }
        return shards;
    }
}
