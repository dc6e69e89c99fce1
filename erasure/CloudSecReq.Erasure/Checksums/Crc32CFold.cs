using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CloudSecReq.Erasure.Checksums;

/// CRC-32C by carry-less multiplication folding (Intel, "Fast CRC Computation for Generic
/// Polynomials Using PCLMULQDQ", 2009), on 512-bit vectors (VPCLMULQDQ): four 64-byte
/// accumulators are folded forward over the input, reduced to 128 bits, and the last 16 bytes
/// go through the crc32c instruction, which performs the final reduction modulo P.
internal static class Crc32CFold
{
    /// Poly 0x1EDC6F41 (normal form); x^32 is implicit.
    private const ulong Polynomial = 0x1EDC6F41;

    public const int MinimumBytes = 256;

    public static bool IsSupported =>
        Pclmulqdq.V512.IsSupported && Avx512F.IsSupported && Pclmulqdq.IsSupported && Sse42.X64.IsSupported;

    private static readonly Vector512<ulong> s_fold4096 = Broadcast(4096);
    private static readonly Vector512<ulong> s_fold2048 = Broadcast(2048);
    private static readonly Vector512<ulong> s_fold1536 = Broadcast(1536);
    private static readonly Vector512<ulong> s_fold1024 = Broadcast(1024);
    private static readonly Vector512<ulong> s_fold512 = Broadcast(512);
    private static readonly Vector128<ulong> s_fold384 = Pair(384);
    private static readonly Vector128<ulong> s_fold256 = Pair(256);
    private static readonly Vector128<ulong> s_fold128 = Pair(128);

    /// Continues the raw CRC register over at least <see cref="MinimumBytes"/> bytes; returns the
    /// register and how many bytes it consumed (a multiple of 64; the caller finishes the rest).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe uint Update(uint crc, ReadOnlySpan<byte> data, out int consumed)
    {
        fixed (byte* start = data)
        {
            var p = start;
            var remaining = data.Length;
            var x0 = Vector512.Load((ulong*)p) ^ Vector512.CreateScalar((ulong)crc);
            var x1 = Vector512.Load((ulong*)(p + 64));
            var x2 = Vector512.Load((ulong*)(p + 128));
            var x3 = Vector512.Load((ulong*)(p + 192));
            p += 256;
            remaining -= 256;
            if (remaining >= 256)
            {
                // Eight lanes of 64 bytes, folded 4096 bits at a time: twice the products in flight.
                var y0 = Vector512.Load((ulong*)p);
                var y1 = Vector512.Load((ulong*)(p + 64));
                var y2 = Vector512.Load((ulong*)(p + 128));
                var y3 = Vector512.Load((ulong*)(p + 192));
                p += 256;
                remaining -= 256;
                var k8 = s_fold4096;
                while (remaining >= 512)
                {
                    x0 = Fold(x0, k8, Vector512.Load((ulong*)p));
                    x1 = Fold(x1, k8, Vector512.Load((ulong*)(p + 64)));
                    x2 = Fold(x2, k8, Vector512.Load((ulong*)(p + 128)));
                    x3 = Fold(x3, k8, Vector512.Load((ulong*)(p + 192)));
                    y0 = Fold(y0, k8, Vector512.Load((ulong*)(p + 256)));
                    y1 = Fold(y1, k8, Vector512.Load((ulong*)(p + 320)));
                    y2 = Fold(y2, k8, Vector512.Load((ulong*)(p + 384)));
                    y3 = Fold(y3, k8, Vector512.Load((ulong*)(p + 448)));
                    p += 512;
                    remaining -= 512;
                }
                var k4 = s_fold2048;
                x0 = Fold(x0, k4, y0);
                x1 = Fold(x1, k4, y1);
                x2 = Fold(x2, k4, y2);
                x3 = Fold(x3, k4, y3);
            }
            var k = s_fold2048;
            while (remaining >= 256)
            {
                x0 = Fold(x0, k, Vector512.Load((ulong*)p));
                x1 = Fold(x1, k, Vector512.Load((ulong*)(p + 64)));
                x2 = Fold(x2, k, Vector512.Load((ulong*)(p + 128)));
                x3 = Fold(x3, k, Vector512.Load((ulong*)(p + 192)));
                p += 256;
                remaining -= 256;
            }
            var x = Fold(x0, s_fold1536, Fold(x1, s_fold1024, Fold(x2, s_fold512, x3)));
            while (remaining >= 64)
            {
                x = Fold(x, s_fold512, Vector512.Load((ulong*)p));
                p += 64;
                remaining -= 64;
            }
            var r = Fold(x.GetLower().GetLower(), s_fold384,
                Fold(x.GetLower().GetUpper(), s_fold256,
                Fold(x.GetUpper().GetLower(), s_fold128, x.GetUpper().GetUpper())));
            // r is congruent to everything folded so far: its CRC is theirs.
            var folded = Sse42.X64.Crc32(0, r.GetElement(0));
            folded = Sse42.X64.Crc32(folded, r.GetElement(1));
            consumed = data.Length - remaining;
            return (uint)folded;
        }
    }

    // x moved forward by the fold distance, plus the data that sits there.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Fold(Vector512<ulong> x, Vector512<ulong> k, Vector512<ulong> data) =>
        Avx512F.TernaryLogic(
            Pclmulqdq.V512.CarrylessMultiply(x, k, 0x00),
            Pclmulqdq.V512.CarrylessMultiply(x, k, 0x11),
            data, 0x96);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Fold(Vector128<ulong> x, Vector128<ulong> k, Vector128<ulong> data) =>
        Pclmulqdq.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.CarrylessMultiply(x, k, 0x11) ^ data;

    private static Vector512<ulong> Broadcast(int bits)
    {
        var pair = Pair(bits);
        var half = Vector256.Create(pair, pair);
        return Vector512.Create(half, half);
    }

    // In the reflected domain the low quadword is the earlier (higher-degree) half, so it moves
    // by x^(bits + 32) and the high one by x^(bits - 32); each constant is bit-reflected and
    // shifted left once to make up for the reflected product being one bit short.
    private static Vector128<ulong> Pair(int bits) =>
        Vector128.Create(FoldConstant(bits + 32), FoldConstant(bits - 32));

    internal static ulong FoldConstant(int power, ulong polynomial = Polynomial)
    {
        ulong r = 1;
        for (var i = 0; i < power; i++)
        {
            r <<= 1;
            if ((r & (1UL << 32)) != 0)
            {
                r ^= (1UL << 32) | polynomial;
            }
        }
        ulong reflected = 0;
        for (var i = 0; i < 32; i++)
        {
            reflected |= ((r >> i) & 1) << (31 - i);
        }
        return reflected << 1;
    }
}
