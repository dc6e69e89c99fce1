namespace CloudSecReq.Gateway.S3;

/// <summary>Where a request goes: the operation, and the bucket and object key it names (decoded).</summary>
internal sealed record S3Route(S3Operation Operation, string? Bucket, string? Key);
