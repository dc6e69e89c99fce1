using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Tests.Kernels;
using FsCheck;
using FsCheck.Fluent;

namespace CloudSecReq.Erasure.Tests.Codec;

public sealed class ReedSolomonCodecPropertyTests
{
    public static TheoryData<ErasureKernel> Kernels() => KernelTheoryData.Supported();

    private static readonly Config s_config = Config.QuickThrowOnFailure.WithMaxTest(120);

    // (k, m, length, seed): the seed drives the data and the loss pattern.
    private static readonly Arbitrary<(int K, int M, int Length, int Seed)> s_shapes =
        (from k in Gen.Choose(1, 24)
         from m in Gen.Choose(1, 8)
         from length in Gen.OneOf(Gen.Choose(0, 300), Gen.Choose(300, 5000))
         from seed in Gen.Choose(0, int.MaxValue)
         select (k, m, length, seed)).ToArbitrary();

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Reconstruct_AnyLossOfAtMostM_RestoresEveryShard(ErasureKernel kernel)
    {
        Prop.ForAll(s_shapes, shape =>
        {
            var codec = new ReedSolomonCodec(shape.K, shape.M, kernel);
            var shards = ReedSolomonCodecTests.RandomShards(codec, shape.Length, shape.Seed);
            codec.Encode(shards);
            var original = shards.Select(s => s.ToArray()).ToArray();
            var random = new Random(shape.Seed);
            var lost = random.Next(0, shape.M + 1);
            var present = Enumerable.Repeat(true, codec.TotalShards).ToArray();
            foreach (var index in Enumerable.Range(0, codec.TotalShards).OrderBy(_ => random.Next()).Take(lost))
            {
                present[index] = false;
                random.NextBytes(shards[index].Span);
            }
            var dataOnly = random.Next(2) == 0;
            codec.Reconstruct(shards, present, dataOnly);
            for (var i = 0; i < codec.TotalShards; i++)
            {
                if (dataOnly && i >= shape.K && !present[i])
                {
                    continue;
                }
                if (!original[i].AsSpan().SequenceEqual(shards[i].Span))
                {
                    return false;
                }
            }
            return codec.Verify(shards) || dataOnly;
        }).Check(s_config);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Reconstruct_MoreThanMLost_ThrowsShardLoss(ErasureKernel kernel)
    {
        Prop.ForAll(s_shapes, shape =>
        {
            var codec = new ReedSolomonCodec(shape.K, shape.M, kernel);
            var shards = ReedSolomonCodecTests.RandomShards(codec, shape.Length, shape.Seed);
            var random = new Random(shape.Seed);
            var lost = random.Next(shape.M + 1, codec.TotalShards + 1);
            var present = Enumerable.Repeat(true, codec.TotalShards).ToArray();
            foreach (var index in Enumerable.Range(0, codec.TotalShards).OrderBy(_ => random.Next()).Take(lost))
            {
                present[index] = false;
            }
            var error = Assert.Throws<ShardLossException>(() => codec.Reconstruct(shards, present));
            return error.UnavailableShards.Count == lost;
        }).Check(s_config);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Update_RandomChange_KeepsParityConsistent(ErasureKernel kernel)
    {
        Prop.ForAll(s_shapes, shape =>
        {
            var codec = new ReedSolomonCodec(shape.K, shape.M, kernel);
            var shards = ReedSolomonCodecTests.RandomShards(codec, shape.Length, shape.Seed);
            codec.Encode(shards);
            var random = new Random(shape.Seed);
            var index = random.Next(shape.K);
            var oldData = shards[index].ToArray();
            var newData = new byte[shape.Length];
            random.NextBytes(newData);
            codec.Update(index, oldData, newData, shards.AsSpan(shape.K));
            newData.CopyTo(shards[index]);
            return codec.Verify(shards);
        }).Check(s_config);
    }
}
