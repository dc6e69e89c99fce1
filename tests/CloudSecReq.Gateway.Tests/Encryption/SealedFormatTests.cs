using CloudSecReq.Gateway.Encryption;

namespace CloudSecReq.Gateway.Tests.Encryption;

public sealed class SealedFormatTests
{
    private const long P = SealedFormat.PackagePlainBytes;

    [Theory]
    [InlineData(0, 1, 16)]
    [InlineData(1, 1, 17)]
    [InlineData(P - 1, 1, P - 1 + 16)]
    [InlineData(P, 1, P + 16)]
    [InlineData(P + 1, 2, P + 1 + 32)]
    [InlineData(3 * P, 3, 3 * P + 48)]
    [InlineData(64L << 30, (64L << 30) / P, (64L << 30) + (64L << 30) / P * 16)]
    public void SealedLength_PlainLength_AddsOneTagPerPackage(long plainLength, long packages, long sealedLength)
    {
        Assert.Equal(packages, SealedFormat.PackageCount(plainLength));
        Assert.Equal(sealedLength, SealedFormat.SealedLength(plainLength));
    }

    [Fact]
    public void PackageCount_NegativeLength_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SealedFormat.PackageCount(-1));

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(P + 5, 0, P)]
    [InlineData(P + 5, 1, 5)]
    [InlineData(2 * P, 1, P)]
    public void PackagePlainLength_Index_LastOneHoldsTheRest(long plainLength, long index, int expected) =>
        Assert.Equal(expected, SealedFormat.PackagePlainLength(plainLength, index));

    [Fact]
    public void WriteNonce_DifferentIndexOrPart_Differs()
    {
        var seen = new HashSet<string>();
        Span<byte> nonce = stackalloc byte[SealedFormat.NonceBytes];
        foreach (var part in new[] { 0, 1, 2, 10_000 })
        {
            foreach (var index in new[] { 0L, 1, 255, 256, 65_536, long.MaxValue })
            {
                SealedFormat.WriteNonce(nonce, part, index);
                Assert.True(seen.Add(Convert.ToHexString(nonce)));
            }
        }
    }

    [Fact]
    public void WriteAad_Layout_MatchesDocument()
    {
        Span<byte> aad = stackalloc byte[SealedFormat.AadBytes];
        SealedFormat.WriteAad(aad, 0x01020304, 0x05060708090A0B0C, final: true);
        Assert.Equal("43535201" + "01020304" + "05060708090A0B0C" + "01", Convert.ToHexString(aad));
        SealedFormat.WriteAad(aad, 1, 2, final: false);
        Assert.Equal("43535201" + "00000001" + "0000000000000002" + "00", Convert.ToHexString(aad));
    }
}
