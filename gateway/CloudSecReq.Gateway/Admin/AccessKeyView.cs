namespace CloudSecReq.Gateway.Admin;

/// <summary>An access key as the admin API lists it: never its secret.</summary>
internal sealed record AccessKeyView(string AccessKeyId, string Tenant, string User, bool Active, DateTimeOffset CreatedAt);
