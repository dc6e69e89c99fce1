namespace CloudSecReq.Gateway.Checksums;

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), slicing-by-8.</summary>
internal static class Crc32
{
    private static readonly uint[] s_table = CrcTables.Build32(0xEDB88320u);

    /// <summary>Continues a CRC: pass 0 to start; the result is final (no further xor needed).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => CrcTables.Update32(s_table, crc, data);
}
