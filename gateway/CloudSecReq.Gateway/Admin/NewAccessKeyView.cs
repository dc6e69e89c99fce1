namespace CloudSecReq.Gateway.Admin;

/// <summary>A new access key with its secret: in the one response that creates it, never again.</summary>
internal sealed record NewAccessKeyView(string Tenant, string User, string AccessKeyId, string SecretAccessKey);
