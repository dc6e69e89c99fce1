using System.Buffers.Binary;
using System.Numerics;

namespace CloudSecReq.Gateway.Checksums;

/// <summary>CRC-32C (Castagnoli) with the CPU's CRC32 instruction (BitOperations falls back to software).</summary>
internal static class Crc32C
{
    /// <summary>Continues a CRC: pass 0 to start; the result is final.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        while (data.Length >= 8)
        {
            c = BitOperations.Crc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            c = BitOperations.Crc32C(c, b);
        }
        return ~c;
    }
}
