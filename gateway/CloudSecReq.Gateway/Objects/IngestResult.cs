using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Objects;

/// <summary>What was learnt while a request body streamed through: its length, MD5 and additional checksum.</summary>
internal sealed record IngestResult(long Size, byte[] Md5, ObjectChecksum? Checksum);
