namespace CloudSecReq.Gateway.Admin;

/// <summary>Body of <c>POST /admin/v1/tenants</c>.</summary>
internal sealed record CreateTenantInput(string Name);
