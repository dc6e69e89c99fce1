namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// What went wrong in authenticating a request. The protocols name these their own way: S3 in
/// <c>S3/S3Errors.cs</c>, the KMS endpoint in <c>KmsHost/KmsEndpoint.cs</c>.
/// </summary>
internal enum AuthFailure
{
    /// <summary>Neither an Authorization header nor a presigned query.</summary>
    Anonymous,
    /// <summary>Signature Version 2 (header or query), which is not supported.</summary>
    SignatureVersion2,
    /// <summary>The Authorization header: another algorithm, a part missing, a bad credential or scope, the host unsigned.</summary>
    MalformedAuthorizationHeader,
    /// <summary>The presigned query: algorithm, credential, scope, date, expiry or signed headers.</summary>
    MalformedPresignedQuery,
    /// <summary>No valid x-amz-date header.</summary>
    MissingDate,
    /// <summary>The request time is more than <see cref="SigV4Verifier.MaxClockSkew"/> from the server's.</summary>
    TimeSkewed,
    /// <summary>A presigned request dated in the future.</summary>
    NotYetValid,
    /// <summary>A presigned request past its X-Amz-Expires.</summary>
    Expired,
    /// <summary>x-amz-* headers present but not signed.</summary>
    UnsignedHeaders,
    /// <summary>No x-amz-content-sha256 header.</summary>
    MissingPayloadHash,
    /// <summary>An x-amz-content-sha256 that is neither a known mode nor a SHA-256.</summary>
    MalformedPayloadHash,
    /// <summary>x-amz-content-sha256 is not the hash of the body read.</summary>
    PayloadHashMismatch,
    /// <summary>The access key id is not known (or not active).</summary>
    UnknownAccessKey,
    /// <summary>The request's, a chunk's or the trailer's signature does not match, or is missing.</summary>
    SignatureMismatch,
    /// <summary>The aws-chunked framing: a chunk header, chunk end, line or trailer.</summary>
    MalformedChunk,
    /// <summary>The aws-chunked body ended early or decoded to another length than declared.</summary>
    IncompleteBody,
}
