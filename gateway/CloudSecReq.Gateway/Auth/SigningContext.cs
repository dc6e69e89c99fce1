namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// What verifying the chunks of a streaming upload needs: the derived signing key, the request
/// time and scope, and the seed signature (the request's own). The signing key is secret.
/// </summary>
internal sealed record SigningContext(byte[] SigningKey, string AmzDate, string Scope, string SeedSignature);
