namespace CloudSecReq.Erasure.Galois;

/// GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), the field ISA-L and
/// klauspost/reedsolomon use, so that parity bytes can be compared with theirs.
internal static class GaloisField
{
    public const int Polynomial = 0x11D;

    private static readonly byte[] s_exp = new byte[512];
    private static readonly byte[] s_log = new byte[256];

    /// Full 256 x 256 product table: MulTable[a * 256 + b] = a * b. 64 KiB, used by the scalar kernel.
    public static readonly byte[] MulTable = new byte[256 * 256];

    static GaloisField()
    {
        var x = 1;
        for (var i = 0; i < 255; i++)
        {
            s_exp[i] = (byte)x;
            s_log[x] = (byte)i;
            x <<= 1;
            if ((x & 0x100) != 0)
            {
                x ^= Polynomial;
            }
        }
        for (var i = 255; i < 512; i++)
        {
            s_exp[i] = s_exp[i - 255];
        }
        for (var a = 0; a < 256; a++)
        {
            for (var b = 0; b < 256; b++)
            {
                MulTable[(a << 8) | b] = MulSlow((byte)a, (byte)b);
            }
        }
    }

    private static byte MulSlow(byte a, byte b) =>
        a == 0 || b == 0 ? (byte)0 : s_exp[s_log[a] + s_log[b]];

    public static byte Mul(byte a, byte b) => MulTable[(a << 8) | b];

    public static byte Inverse(byte a)
    {
        if (a == 0)
        {
            throw new DivideByZeroException("0 has no inverse in GF(2^8).");
        }
        return s_exp[255 - s_log[a]];
    }

    public static byte Exp(int power) => s_exp[power % 255];
}
