using CloudSecReq.Erasure.Galois;

namespace CloudSecReq.Erasure.Tests.Galois;

public sealed class GaloisFieldTests
{
    [Fact]
    public void Mul_EveryNonZeroElement_HasInverse()
    {
        for (var a = 1; a < 256; a++)
        {
            Assert.Equal(1, GaloisField.Mul((byte)a, GaloisField.Inverse((byte)a)));
        }
    }

    [Fact]
    public void Mul_IsDistributiveOverXor()
    {
        var random = new Random(1);
        for (var i = 0; i < 10_000; i++)
        {
            byte a = (byte)random.Next(256), b = (byte)random.Next(256), c = (byte)random.Next(256);
            Assert.Equal(GaloisField.Mul(a, (byte)(b ^ c)), (byte)(GaloisField.Mul(a, b) ^ GaloisField.Mul(a, c)));
        }
    }

    [Fact]
    public void Mul_KnownValues_MatchPolynomial0x11D()
    {
        Assert.Equal(0x1D, GaloisField.Mul(0x80, 2));
        Assert.Equal(0x02, GaloisField.Exp(1));
        Assert.Equal(0x8E, GaloisField.Inverse(2));
    }
}
