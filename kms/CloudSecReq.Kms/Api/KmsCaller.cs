namespace CloudSecReq.Kms.Api;

/// Who is calling, as the gateway authenticated it (SigV4). <paramref name="TenantId"/> scopes every key: keys of
/// other tenants are invisible. <paramref name="AccountId"/> (12 digits) appears in ARNs; <paramref name="PrincipalArn"/>
/// is matched against key policies; the tenant root is never locked out of its own keys.
public sealed record KmsCaller(string TenantId, string AccountId, string PrincipalArn, bool IsTenantRoot);
