using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Tenants;

/// <summary>Who made an authenticated request: the tenant, the user and the access key used.</summary>
internal sealed record Principal(Tenant Tenant, User User, string AccessKeyId)
{
    public string Arn => User.IsRoot ? $"arn:aws:iam::{Tenant.AccountId}:root" : $"arn:aws:iam::{Tenant.AccountId}:user/{User.Name}";
}
