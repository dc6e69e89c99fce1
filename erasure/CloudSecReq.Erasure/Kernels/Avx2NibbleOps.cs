using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CloudSecReq.Erasure.Kernels;

internal unsafe struct Avx2NibbleOps : IGfVectorOps<Vector256<byte>>
{
    public static bool IsSupported => Avx2.IsSupported;

    public static int Width => 32;

    public static int PreparedStride => 64;

    public static void Prepare(byte coefficient, Span<byte> destination) =>
        NibbleTables.Write(coefficient, destination, lanes: 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector256<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor(Vector256<byte> left, Vector256<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Mul(Vector256<byte> value, byte* prepared)
    {
        var mask = Vector256.Create((byte)0x0F);
        var low = Avx2.Shuffle(Vector256.Load(prepared), value & mask);
        var high = Avx2.Shuffle(
            Vector256.Load(prepared + 32), Avx2.ShiftRightLogical(value.AsUInt16(), 4).AsByte() & mask);
        return low ^ high;
    }
}
