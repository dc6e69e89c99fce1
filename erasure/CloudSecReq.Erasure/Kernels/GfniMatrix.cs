using CloudSecReq.Erasure.Galois;

namespace CloudSecReq.Erasure.Kernels;

/// Multiplication by a constant c in GF(2^8) is linear over GF(2), so it is an 8x8 bit matrix,
/// which is what GF2P8AFFINEQB applies to each byte. Result bit i is parity(A.byte[7 - i] and x),
/// so byte 7 - i of the matrix holds, at bit j, bit i of c * 2^j.
internal static class GfniMatrix
{
    public static ulong For(byte coefficient)
    {
        ulong matrix = 0;
        for (var i = 0; i < 8; i++)
        {
            ulong row = 0;
            for (var j = 0; j < 8; j++)
            {
                var product = GaloisField.Mul(coefficient, (byte)(1 << j));
                row |= (ulong)((product >> i) & 1) << j;
            }
            matrix |= row << (8 * (7 - i));
        }
        return matrix;
    }
}
