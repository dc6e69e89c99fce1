namespace CloudSecReq.Gateway.Admin;

/// <summary>A user as the admin API shows it, with its access keys (ids and state, never secrets).</summary>
internal sealed record UserView(string Tenant, string Name, bool IsRoot, bool ReadOnly, IReadOnlyList<string>? Buckets, DateTimeOffset CreatedAt, IReadOnlyList<AccessKeyView> AccessKeys);
