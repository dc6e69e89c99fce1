namespace CloudSecReq.Gateway.S3;

/// <summary>
/// Request headers that name an S3 feature this gateway does not build, refused before any work so
/// that none is accepted and silently dropped (a "locked" object that can be deleted, an ACL that
/// grants nothing). Headers of features that are built are read by their handlers; the full list,
/// per operation, is in docs/s3-api.md ("Request headers").
/// </summary>
internal static class RequestHeaderSupport
{
    // Buckets behave as AWS buckets with Object Ownership "BucketOwnerEnforced" (the AWS default since
    // 2023): ACLs are off; a canned ACL that grants nobody else anything is accepted, any other refused.
    private static readonly string[] s_objectAclsAccepted = ["private", "bucket-owner-full-control"];

    private static readonly string[] s_grantHeaders =
        ["x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-read-acp", "x-amz-grant-write", "x-amz-grant-write-acp"];

    // Not built (object lock, website hosting, MFA delete, appends, directory-bucket conditions):
    // these answer NotImplemented wherever they appear.
    private static readonly string[] s_notImplementedHeaders =
    [
        "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
        "x-amz-bypass-governance-retention", "x-amz-website-redirect-location", "x-amz-mfa", "x-amz-write-offset-bytes",
        "x-amz-if-match-last-modified-time", "x-amz-if-match-size", "x-amz-if-match-initiated-time",
        "x-amz-optional-object-attributes",
    ];

    /// <summary>Throws the S3 error AWS would give when a header asks for something not built here.</summary>
    public static void Check(S3Operation operation, IHeaderDictionary headers, string accountId)
    {
        string? H(string name) => headers.TryGetValue(name, out var v) ? v.ToString() : null;
        foreach (var name in s_notImplementedHeaders)
        {
            if (headers.ContainsKey(name))
            {
                throw NotImplemented(name);
            }
        }
        var createBucket = operation == S3Operation.CreateBucket;
        if (H("x-amz-acl") is { } acl && !(createBucket ? acl == "private" : s_objectAclsAccepted.Contains(acl)))
        {
            throw AclsOff(createBucket);
        }
        if (s_grantHeaders.Any(headers.ContainsKey))
        {
            throw AclsOff(createBucket);
        }
        if (H("x-amz-bucket-object-lock-enabled") is { } locked && !locked.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            throw NotImplemented("x-amz-bucket-object-lock-enabled");
        }
        if (H("x-amz-object-ownership") is { } ownership && ownership != "BucketOwnerEnforced")
        {
            throw NotImplemented("x-amz-object-ownership");
        }
        if (H("x-amz-checksum-type") is { } checksumType && !(operation == S3Operation.CreateMultipartUpload && checksumType == "COMPOSITE"))
        {
            throw NotImplemented("x-amz-checksum-type");
        }
        if (operation is not (S3Operation.PutObject or S3Operation.CopyObject or S3Operation.CompleteMultipartUpload or S3Operation.GetObject or S3Operation.HeadObject)
            && (headers.ContainsKey("If-Match") || headers.ContainsKey("If-None-Match")))
        {
            throw NotImplemented(headers.ContainsKey("If-Match") ? "If-Match" : "If-None-Match");
        }
        // Every bucket a caller can reach belongs to the caller's own account (deny by default across tenants).
        foreach (var name in (ReadOnlySpan<string>)["x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"])
        {
            if (H(name) is { } owner && owner != accountId)
            {
                throw new S3Exception(S3ErrorCode.AccessDenied, $"The bucket is not owned by the account named in {name}.");
            }
        }
    }

    private static S3Exception NotImplemented(string header) =>
        new S3Exception(S3ErrorCode.NotImplemented, $"{header}: this gateway does not implement that feature.").With("Header", header);

    private static S3Exception AclsOff(bool createBucket) => createBucket
        ? new S3Exception(S3ErrorCode.InvalidBucketAclWithObjectOwnership)
        : new S3Exception(S3ErrorCode.AccessControlListNotSupported);
}
