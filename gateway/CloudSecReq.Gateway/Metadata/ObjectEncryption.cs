namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// How an object (or an upload in progress) is encrypted. Every object has one. The data key itself
/// is never stored in the clear: <see cref="WrappedDataKey"/> holds it sealed under the bucket key
/// (AES-GCM), under the tenant key in the HSM (a KMS ciphertext blob), or under the customer's key
/// (SSE-C). See docs/encryption-format.md.
/// </summary>
internal sealed record ObjectEncryption
{
    /// <summary><c>AES256</c> (SSE-S3), <c>aws:kms</c> (SSE-KMS) or <c>SSE-C</c>.</summary>
    public required string Mode { get; init; }
    /// <summary>The KMS key (SSE-S3: the tenant's alias/aws/s3 key). Null for SSE-C.</summary>
    public string? KeyArn { get; init; }
    /// <summary>The encryption context the client gave (SSE-KMS), returned in x-amz-server-side-encryption-context.</summary>
    public IReadOnlyDictionary<string, string>? Context { get; init; }
    public bool BucketKeyEnabled { get; init; }
    /// <summary>The bucket key as a KMS ciphertext blob (when bucket keys are used).</summary>
    public byte[]? WrappedBucketKey { get; init; }
    public required byte[] WrappedDataKey { get; init; }
    /// <summary>SSE-C: a random salt and HMAC-SHA256 of the customer key under it, to check later requests' keys.</summary>
    public byte[]? CustomerKeySalt { get; init; }
    public byte[]? CustomerKeyMac { get; init; }

    public const string SseS3 = "AES256";
    public const string SseKms = "aws:kms";
    public const string SseC = "SSE-C";
}
