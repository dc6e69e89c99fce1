using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace CloudSecReq.Erasure.Kernels;

internal unsafe struct AdvSimdNibbleOps : IGfVectorOps<Vector128<byte>>
{
    public static bool IsSupported => AdvSimd.Arm64.IsSupported;

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
        // TBL returns 0 for indices >= 16; both indices here are < 16.
        var low = AdvSimd.Arm64.VectorTableLookup(
            Vector128.Load(prepared), value & Vector128.Create((byte)0x0F));
        var high = AdvSimd.Arm64.VectorTableLookup(
            Vector128.Load(prepared + 16), AdvSimd.ShiftRightLogical(value, 4));
        return low ^ high;
    }
}
