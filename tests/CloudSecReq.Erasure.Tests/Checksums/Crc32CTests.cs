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
        foreach (int length in new[] { 767, 768, 769, 775, 776, 1000, 4096, 65_536, 65_539, 1_048_576 + 5 })
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            uint expected = 0xFFFFFFFF;
            foreach (byte b in data)
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
        byte[] data = new byte[5000];
        random.NextBytes(data);
        uint whole = Crc32C.Compute(data);
        foreach (int split in new[] { 0, 1, 7, 800, 2500, 4999 })
        {
            uint crc = Crc32C.Update(0xFFFFFFFF, data.AsSpan(0, split));
            Assert.Equal(whole, ~Crc32C.Update(crc, data.AsSpan(split)));
        }
    }
}
