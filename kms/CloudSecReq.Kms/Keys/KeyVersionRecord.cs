namespace CloudSecReq.Kms.Keys;

/// One version (key material) of a tenant key. RotationType is null for the original material.
internal sealed record KeyVersionRecord(string KeyId, int Version, DateTimeOffset Created, string? RotationType, string MaterialId);
