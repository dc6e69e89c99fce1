using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CloudSecReq.Erasure.Checksums;

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and S3's
/// x-amz-checksum-crc32c. BitOperations.Crc32C compiles to the SSE4.2 / Armv8 crc32c instruction,
/// whose latency is about three times its throughput, so long inputs run as three independent
/// streams that are then combined (multiplying by x^(8n) mod P, as zlib's crc32_combine does).
/// Where VPCLMULQDQ exists, <see cref="Crc32CFold"/> handles all but the last bytes instead.
public static class Crc32C
{
    private const uint ReflectedPolynomial = 0x82F63B78;
    private const int MinimumLaneBytes = 256;

    private static readonly uint[] s_powers = BuildPowers();

    // The shift operator for the last lane length seen; stripes repeat one block size.
    private static Tuple<int, uint> s_cache = Tuple.Create(-1, 0u);

    /// The standard CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFF, data);

    /// Continues a raw (not inverted) CRC register over more bytes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        if (data.Length >= Crc32CFold.MinimumBytes && Crc32CFold.IsSupported)
        {
            crc = Crc32CFold.Update(crc, data, out var consumed);
            data = data[consumed..];
        }
        var laneBytes = (data.Length / 3) & ~7;
        if (laneBytes >= MinimumLaneBytes)
        {
            ref var start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
            uint crcA = crc, crcB = 0, crcC = 0;
            for (var i = 0; i < laneBytes; i += 8)
            {
                crcA = BitOperations.Crc32C(crcA, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
                crcB = BitOperations.Crc32C(crcB, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, laneBytes + i)));
                crcC = BitOperations.Crc32C(crcC, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 2 * laneBytes + i)));
            }
            var shift = ShiftFor(laneBytes);
            crc = MultiplyModP(shift, MultiplyModP(shift, crcA) ^ crcB) ^ crcC;
            data = data[(3 * laneBytes)..];
        }
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return crc;
    }

    private static uint ShiftFor(int laneBytes)
    {
        var cache = s_cache;
        if (cache.Item1 == laneBytes)
        {
            return cache.Item2;
        }
        var shift = PowerOfX(8L * laneBytes);
        s_cache = Tuple.Create(laneBytes, shift);
        return shift;
    }

    // Product of two polynomials modulo P, in the reflected bit order (bit 31 = x^0).
    internal static uint MultiplyModP(uint a, uint b)
    {
        uint product = 0;
        for (var m = 1u << 31; m != 0; m >>= 1)
        {
            if ((a & m) != 0)
            {
                product ^= b;
            }
            b = (b & 1) != 0 ? (b >> 1) ^ ReflectedPolynomial : b >> 1;
        }
        return product;
    }

    // x^n mod P, from the table of x^(2^k).
    private static uint PowerOfX(long n)
    {
        var p = 1u << 31;
        for (var k = 0; n != 0; n >>= 1, k++)
        {
            if ((n & 1) != 0)
            {
                p = MultiplyModP(s_powers[k], p);
            }
        }
        return p;
    }

    private static uint[] BuildPowers()
    {
        var powers = new uint[64];
        var p = 1u << 30; // x^1
        powers[0] = p;
        for (var k = 1; k < 64; k++)
        {
            p = MultiplyModP(p, p);
            powers[k] = p;
        }
        return powers;
    }
}
