namespace CloudSecReq.Gateway.Metadata;

/// <summary>An access key of a user. <see cref="ProtectedSecret"/> is the secret access key sealed by the platform key.</summary>
internal sealed record AccessKey(string AccessKeyId, string TenantId, string UserName, byte[] ProtectedSecret, bool Active, DateTimeOffset CreatedAt);
