namespace CloudSecReq.Gateway.Admin;

/// <summary>Who made an admin request: an operator's admin access key (never a tenant's).</summary>
internal sealed record AdminPrincipal(string AccessKeyId, string Name);
