namespace CloudSecReq.Gateway.Checksums;

/// <summary>The additional checksums S3 clients send as <c>x-amz-checksum-*</c>.</summary>
internal enum ChecksumAlgorithm
{
    Crc32,
    Crc32C,
    Crc64Nvme,
    Sha1,
    Sha256,
}
