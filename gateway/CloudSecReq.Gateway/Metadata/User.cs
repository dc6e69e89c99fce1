namespace CloudSecReq.Gateway.Metadata;

/// <summary>A user inside a tenant. The root user of a tenant is created with the tenant.</summary>
internal sealed record User(string TenantId, string Name, bool IsRoot, UserPolicy Policy, DateTimeOffset CreatedAt);
