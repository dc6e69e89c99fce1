namespace CloudSecReq.Gateway.Admin;

/// <summary>A freshly made admin access key; the only moment the secret is in clear outside the HSM-sealed store.</summary>
internal sealed record AdminCredentials(string Name, string AccessKeyId, string SecretAccessKey);
