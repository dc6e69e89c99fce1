namespace CloudSecReq.Gateway.Checksums;

/// <summary>CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), the default checksum of newer AWS SDKs.</summary>
internal static class Crc64Nvme
{
    private static readonly ulong[] s_table = CrcTables.Build64(0x9A6C9329AC4BC9B5ul);

    /// <summary>Continues a CRC: pass 0 to start; the result is final.</summary>
    public static ulong Append(ulong crc, ReadOnlySpan<byte> data) => CrcTables.Update64(s_table, crc, data);
}
