namespace CloudSecReq.Kms.Keys;

internal sealed record AliasRecord(string TenantId, string AliasName, string KeyId, DateTimeOffset Created, DateTimeOffset Updated);
