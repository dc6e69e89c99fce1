namespace CloudSecReq.Gateway.Admin;

/// <summary>Body of <c>POST /admin/v1/tenants/{tenant}/users</c>: read-only or full access, on all of the tenant's buckets (null) or the named ones.</summary>
internal sealed record CreateUserInput(string Name, bool ReadOnly = false, IReadOnlyList<string>? Buckets = null);
