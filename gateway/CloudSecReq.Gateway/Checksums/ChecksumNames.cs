namespace CloudSecReq.Gateway.Checksums;

/// <summary>Wire names of the checksum algorithms: the <c>x-amz-checksum-*</c> header and the S3 enum value.</summary>
internal static class ChecksumNames
{
    public static readonly ChecksumAlgorithm[] All = Enum.GetValues<ChecksumAlgorithm>();

    /// <summary>The S3 name, e.g. <c>CRC32C</c>, as in <c>x-amz-sdk-checksum-algorithm</c> and XML.</summary>
    public static string WireName(ChecksumAlgorithm a) => a switch
    {
        ChecksumAlgorithm.Crc32 => "CRC32",
        ChecksumAlgorithm.Crc32C => "CRC32C",
        ChecksumAlgorithm.Crc64Nvme => "CRC64NVME",
        ChecksumAlgorithm.Sha1 => "SHA1",
        ChecksumAlgorithm.Sha256 => "SHA256",
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    /// <summary>The header that carries it, e.g. <c>x-amz-checksum-crc32c</c>.</summary>
    public static string HeaderName(ChecksumAlgorithm a) => "x-amz-checksum-" + WireName(a).ToLowerInvariant();

    public static bool TryParse(string? name, out ChecksumAlgorithm algorithm)
    {
        foreach (var a in All)
        {
            if (string.Equals(WireName(a), name, StringComparison.OrdinalIgnoreCase))
            {
                algorithm = a;
                return true;
            }
        }
        algorithm = default;
        return false;
    }

    /// <summary>Digest length in bytes.</summary>
    public static int Length(ChecksumAlgorithm a) => a switch
    {
        ChecksumAlgorithm.Crc32 or ChecksumAlgorithm.Crc32C => 4,
        ChecksumAlgorithm.Crc64Nvme => 8,
        ChecksumAlgorithm.Sha1 => 20,
        _ => 32,
    };
}
