using System.Numerics;

namespace CloudSecReq.Erasure.Kernels;

internal static class ByteXor
{
    /// destination = left xor right; all three the same length.
    public static void Xor(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        var i = 0;
        var width = Vector<byte>.Count;
        for (; i + width <= destination.Length; i += width)
        {
            (new Vector<byte>(left[i..]) ^ new Vector<byte>(right[i..])).CopyTo(destination[i..]);
        }
        for (; i < destination.Length; i++)
        {
            destination[i] = (byte)(left[i] ^ right[i]);
        }
    }
}
