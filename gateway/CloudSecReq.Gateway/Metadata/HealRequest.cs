namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// An object, or a part of an open multipart upload, queued for healing: some of its shards are
/// missing, corrupt or badly placed. A part names its upload (<paramref name="UploadId"/>, in the
/// upload's bucket and key) and its <paramref name="PartNumber"/>; an object has neither (null, 0).
/// </summary>
internal sealed record HealRequest(string Bucket, string Key, string Reason, DateTimeOffset QueuedAt, string? UploadId = null, int PartNumber = 0)
{
    public bool IsPart => UploadId is not null;

    /// <summary>What the request names, for logs: <c>bucket/key</c>, or <c>bucket/key part N of upload U</c>.</summary>
    public string Name => IsPart ? $"{Bucket}/{Key} part {PartNumber} of upload {UploadId}" : $"{Bucket}/{Key}";
}
