using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CloudSecReq.Erasure.Kernels;

internal unsafe struct Gfni512Ops : IGfVectorOps<Vector512<byte>>
{
    public static bool IsSupported => Gfni.V512.IsSupported;

    public static int Width => 64;

    public static int PreparedStride => 64;

    public static void Prepare(byte coefficient, Span<byte> destination)
    {
        var matrix = GfniMatrix.For(coefficient);
        for (var i = 0; i < 64; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], matrix);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector512<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor(Vector512<byte> left, Vector512<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Mul(Vector512<byte> value, byte* prepared) =>
        Gfni.V512.GaloisFieldAffineTransform(value, Vector512.Load(prepared), 0);
}
