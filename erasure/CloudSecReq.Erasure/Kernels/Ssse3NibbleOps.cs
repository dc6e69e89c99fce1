using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CloudSecReq.Erasure.Kernels;

internal unsafe struct Ssse3NibbleOps : IGfVectorOps<Vector128<byte>>
{
    public static bool IsSupported => Ssse3.IsSupported;

    public static int Width => 16;

    public static int PreparedStride => 32;

    public static void Prepare(byte coefficient, Span<byte> destination) =>
        NibbleTables.Write(coefficient, destination, lanes: 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Load(byte* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector128<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Xor(Vector128<byte> left, Vector128<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Mul(Vector128<byte> value, byte* prepared)
    {
        var mask = Vector128.Create((byte)0x0F);
        var low = Ssse3.Shuffle(Vector128.Load(prepared), value & mask);
        var high = Ssse3.Shuffle(
            Vector128.Load(prepared + 16), Sse2.ShiftRightLogical(value.AsUInt16(), 4).AsByte() & mask);
        return low ^ high;
    }
}
