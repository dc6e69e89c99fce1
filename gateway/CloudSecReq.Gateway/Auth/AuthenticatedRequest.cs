namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// The result of a verified signature: who signed (a tenant's <c>Principal</c>, or an admin), and
/// how the body must be checked.
/// </summary>
internal sealed record AuthenticatedRequest<TPrincipal>(TPrincipal Principal, PayloadMode PayloadMode, string? PayloadSha256, SigningContext Signing, bool Presigned);
