using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Auth;

/// <summary>The result of a verified signature: who signed, and how the body must be checked.</summary>
internal sealed record AuthenticatedRequest(Principal Principal, PayloadMode PayloadMode, string? PayloadSha256, SigningContext Signing, bool Presigned);
