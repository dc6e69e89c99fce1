namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// A bucket's default encryption (PutBucketEncryption): <c>AES256</c> (SSE-S3) or <c>aws:kms</c> with
/// an optional key id, and whether S3 Bucket Keys are used. Buckets without one use SSE-S3.
/// </summary>
internal sealed record BucketEncryption(string Algorithm, string? KmsKeyId, bool BucketKeyEnabled)
{
    public static BucketEncryption Default { get; } = new("AES256", null, true);
}
