using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// The result of a verified signature: who signed, how the body must be checked, and which headers
/// the signature covers (lower case; <c>host</c> always).
/// </summary>
internal sealed record AuthenticatedRequest(Principal Principal, PayloadMode PayloadMode, string? PayloadSha256, SigningContext Signing, bool Presigned, IReadOnlyList<string> SignedHeaders);
