namespace CloudSecReq.Gateway.Metadata;

/// <summary>A tenant (an account): owns users, access keys and buckets.</summary>
internal sealed record Tenant(string Id, string Name, string AccountId, DateTimeOffset CreatedAt);
