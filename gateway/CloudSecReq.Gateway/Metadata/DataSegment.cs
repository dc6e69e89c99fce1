namespace CloudSecReq.Gateway.Metadata;

/// <summary>A run of an object's stored bytes: one blob on one volume. Objects from multipart uploads have one per part.</summary>
internal sealed record DataSegment(string VolumeId, string BlobId, long Length);
