namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// An additional checksum (<c>x-amz-checksum-*</c>) of an object or part, base64 as S3 shows it;
/// for a multipart object it is the checksum of the parts' checksums, with <c>-N</c> appended.
/// </summary>
internal sealed record ObjectChecksum(string Algorithm, string Value, string Type = "FULL_OBJECT");
