namespace CloudSecReq.Gateway.Checksums;

/// <summary>CRC-32C (Castagnoli) for x-amz-checksum-crc32c: the erasure library's folded, hardware-accelerated CRC.</summary>
internal static class Crc32C
{
    /// <summary>Continues a CRC: pass 0 to start; the result is final.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Erasure.Checksums.Crc32C.Update(~crc, data);
}
