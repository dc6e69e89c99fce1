namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>
/// What went wrong with a request's server-side encryption; S3 names these in <c>S3/S3Errors.cs</c>.
/// KMS failures are not here: they stay <see cref="Kms.Api.KmsException"/>.
/// </summary>
internal enum SseFailure
{
    /// <summary>An SSE or SSE-C header that is invalid, incomplete or contradicts another.</summary>
    InvalidHeader,
    /// <summary>An encryption we recognise but do not offer (dual-layer SSE-KMS).</summary>
    NotSupported,
    /// <summary>SSE-C headers for an object that is not encrypted with a customer key.</summary>
    CustomerKeyNotApplicable,
    /// <summary>An SSE-C object read without its customer key.</summary>
    CustomerKeyRequired,
    /// <summary>An SSE-C object read with another customer key.</summary>
    CustomerKeyMismatch,
}
