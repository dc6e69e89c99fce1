namespace CloudSecReq.Gateway.Tenants;

/// <summary>A freshly made access key; the only moment the secret is shown.</summary>
internal sealed record NewCredentials(string TenantName, string UserName, string AccessKeyId, string SecretAccessKey);
