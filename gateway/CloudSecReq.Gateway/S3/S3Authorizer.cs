using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// Deny by default: a principal reaches a bucket only when its tenant owns the bucket and the
/// user's policy allows that bucket (and writing, for write operations). Everything else is
/// AccessDenied, including every attempt on another tenant's bucket. The policy step of the request
/// path, so it stays with the protocol; it looks the bucket (and a copy source) up through the object
/// layer, never in the store.
/// </summary>
internal sealed class S3Authorizer(Buckets buckets, ObjectReader reader)
{
    public async Task<Bucket> AuthorizeBucketAsync(Principal principal, string bucketName, bool write, CancellationToken ct)
    {
        var bucket = await buckets.FindAsync(bucketName, ct)
            ?? throw new S3Exception(S3ErrorCode.NoSuchBucket).With("BucketName", bucketName);
        if (bucket.TenantId != principal.Tenant.Id || !principal.User.Policy.AllowsBucket(bucketName) || (write && principal.User.Policy.ReadOnly))
        {
            throw new S3Exception(S3ErrorCode.AccessDenied);
        }
        return bucket;
    }

    /// <summary>Checks that the principal may create a bucket of this name (policy only; the name's owner is checked on insert).</summary>
    public static void AuthorizeCreate(Principal principal, string bucketName)
    {
        if (principal.User.Policy.ReadOnly || !principal.User.Policy.AllowsBucket(bucketName))
        {
            throw new S3Exception(S3ErrorCode.AccessDenied);
        }
    }

    /// <summary>Resolves <c>x-amz-copy-source</c> to an object the principal may read.</summary>
    public async Task<ObjectRecord> CopySourceAsync(S3Request req, CancellationToken ct)
    {
        var (bucket, key) = ObjectRequestHeaders.CopySource(req.Header("x-amz-copy-source") ?? "");
        await AuthorizeBucketAsync(req.Principal, bucket, write: false, ct);
        return await reader.HeadAsync(bucket, key, ct) ?? throw new S3Exception(S3ErrorCode.NoSuchKey).With("Key", key);
    }
}
