using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CloudSecReq.Erasure.Kernels;

internal unsafe struct Gfni256Ops : IGfVectorOps<Vector256<byte>>
{
    public static bool IsSupported => Gfni.V256.IsSupported;

    public static int Width => 32;

    public static int PreparedStride => 32;

    public static void Prepare(byte coefficient, Span<byte> destination)
    {
        var matrix = GfniMatrix.For(coefficient);
        for (var i = 0; i < 32; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], matrix);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector256<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor(Vector256<byte> left, Vector256<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Mul(Vector256<byte> value, byte* prepared) =>
        Gfni.V256.GaloisFieldAffineTransform(value, Vector256.Load(prepared), 0);
}
