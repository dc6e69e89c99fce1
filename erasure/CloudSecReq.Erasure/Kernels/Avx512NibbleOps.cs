using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CloudSecReq.Erasure.Kernels;

/// The split-table method on 512-bit vectors, for AVX-512 CPUs without GFNI (Skylake-SP, Cascade Lake).
internal unsafe struct Avx512NibbleOps : IGfVectorOps<Vector512<byte>>
{
    public static bool IsSupported => Avx512BW.IsSupported;

    public static int Width => 64;

    public static int PreparedStride => 128;

    public static void Prepare(byte coefficient, Span<byte> destination) =>
        NibbleTables.Write(coefficient, destination, lanes: 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector512<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor(Vector512<byte> left, Vector512<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Mul(Vector512<byte> value, byte* prepared)
    {
        var mask = Vector512.Create((byte)0x0F);
        var low = Avx512BW.Shuffle(Vector512.Load(prepared), value & mask);
        var high = Avx512BW.Shuffle(
            Vector512.Load(prepared + 64), Avx512BW.ShiftRightLogical(value.AsUInt16(), 4).AsByte() & mask);
        return low ^ high;
    }
}
