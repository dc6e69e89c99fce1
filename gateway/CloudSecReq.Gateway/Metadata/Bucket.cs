namespace CloudSecReq.Gateway.Metadata;

/// <summary>A bucket. Bucket names are one namespace over all tenants, as in S3.</summary>
internal sealed record Bucket(string Name, string TenantId, string Region, DateTimeOffset CreatedAt)
{
    /// <summary>The default encryption; null means the platform default, SSE-S3.</summary>
    public BucketEncryption? Encryption { get; init; }
}
