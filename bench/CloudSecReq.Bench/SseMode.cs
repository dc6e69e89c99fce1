namespace CloudSecReq.Bench;

/// <summary>The server-side encryption the bench asks for on each PUT (and, for SSE-C, each GET).</summary>
internal enum SseMode
{
    /// <summary>No SSE headers: the gateway applies its floor (SSE-S3, or nothing in the BenchPlaintext build).</summary>
    None,
    /// <summary><c>x-amz-server-side-encryption: AES256</c>.</summary>
    S3,
    /// <summary><c>aws:kms</c> with a KMS key the bench creates, bucket key enabled.</summary>
    Kms,
    /// <summary><c>aws:kms</c> with a KMS key the bench creates, <c>bucket-key-enabled: false</c>.</summary>
    KmsNoBucketKey,
    /// <summary>SSE-C with one random 256-bit customer key for the whole run.</summary>
    C,
}
