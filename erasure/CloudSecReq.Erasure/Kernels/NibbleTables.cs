using CloudSecReq.Erasure.Galois;

namespace CloudSecReq.Erasure.Kernels;

/// The split-table method: c * x = c * (x and 0x0F) xor c * (x and 0xF0), each half a 16-entry
/// table that a byte shuffle can look up 16 or 32 lanes at a time.
internal static class NibbleTables
{
    /// Writes the low table then the high table, each repeated <paramref name="lanes"/> times
    /// (a 256-bit shuffle looks up within each 128-bit lane).
    public static void Write(byte coefficient, Span<byte> destination, int lanes)
    {
        for (var lane = 0; lane < lanes; lane++)
        {
            for (var x = 0; x < 16; x++)
            {
                destination[lane * 16 + x] = GaloisField.Mul(coefficient, (byte)x);
                destination[lanes * 16 + lane * 16 + x] = GaloisField.Mul(coefficient, (byte)(x << 4));
            }
        }
    }
}
