using System.Numerics;
using CloudSecReq.Erasure.Checksums;

namespace CloudSecReq.Erasure.Tests.Checksums;

public sealed class Crc32CTests
{
    [Fact]
    public void Compute_CheckString_MatchesStandardValue()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Compute_ThreeLaneCombine_MatchesBytewiseCrc()
    {
        var random = new Random(3);
        foreach (var length in new[] { 1, 7, 8, 255, 256, 257, 300, 319, 320, 511, 512, 513, 575, 767, 768, 769, 775, 776, 1000, 4096, 65_536, 65_539, 1_048_576 + 5 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            var expected = 0xFFFFFFFF;
            foreach (var b in data)
            {
                expected = BitOperations.Crc32C(expected, b);
            }
            Assert.Equal(~expected, Crc32C.Compute(data));
        }
    }

    [Fact]
    public void Update_SplitAnywhere_EqualsWhole()
    {
        var random = new Random(4);
        var data = new byte[5000];
        random.NextBytes(data);
        var whole = Crc32C.Compute(data);
        foreach (var split in new[] { 0, 1, 7, 800, 2500, 4999 })
        {
            var crc = Crc32C.Update(0xFFFFFFFF, data.AsSpan(0, split));
            Assert.Equal(whole, ~Crc32C.Update(crc, data.AsSpan(split)));
        }
    }

    [Fact]
    public void FoldConstant_Crc32Polynomial_MatchesPublishedValue()
    {
        // Linux arch/x86/crypto/crc32-pclmul_asm.S, CRC-32 (0x04C11DB7): R1 = x^(4*128+32), R2 = x^(4*128-32).
        Assert.Equal(0x154442bd4UL, Crc32CFold.FoldConstant(544, 0x04C11DB7));
        Assert.Equal(0x1c6e41596UL, Crc32CFold.FoldConstant(480, 0x04C11DB7));
    }

    [Fact]
    public void Compute_FoldPath_IsUsedWhereSupported()
    {
        // Say in the test log which checksum path this run exercises.
        Console.WriteLine($"[erasure] CRC-32C folding with VPCLMULQDQ: {Crc32CFold.IsSupported}");
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }
}
