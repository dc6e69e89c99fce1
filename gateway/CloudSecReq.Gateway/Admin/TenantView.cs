namespace CloudSecReq.Gateway.Admin;

/// <summary>A tenant as the admin API shows it.</summary>
internal sealed record TenantView(string Name, string Id, string AccountId, DateTimeOffset CreatedAt, int Users, int AccessKeys, int ActiveAccessKeys);
