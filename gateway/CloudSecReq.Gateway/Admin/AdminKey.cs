namespace CloudSecReq.Gateway.Admin;

/// <summary>An admin access key as stored: <see cref="SealedSecret"/> is the secret sealed by the HSM's platform key.</summary>
internal sealed record AdminKey(string AccessKeyId, string Name, byte[] SealedSecret, bool Active, DateTimeOffset CreatedAt);
