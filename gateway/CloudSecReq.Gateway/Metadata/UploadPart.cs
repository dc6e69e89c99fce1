namespace CloudSecReq.Gateway.Metadata;

/// <summary>One uploaded part of a multipart upload.</summary>
internal sealed record UploadPart(
    string UploadId,
    int PartNumber,
    long Size,
    string ETag,
    DateTimeOffset LastModified,
    ObjectChecksum? Checksum,
    DataSegment Segment);
