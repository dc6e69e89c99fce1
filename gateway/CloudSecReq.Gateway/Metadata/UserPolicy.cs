namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// What a user may do inside its tenant: everything, or read-only, and on all of the tenant's
/// buckets or only on the named ones. Deny by default: anything outside it is AccessDenied.
/// </summary>
internal sealed record UserPolicy(bool ReadOnly, IReadOnlyList<string>? Buckets)
{
    public static UserPolicy FullAccess { get; } = new(false, null);

    public bool AllowsBucket(string bucket) => Buckets is null || Buckets.Contains(bucket, StringComparer.Ordinal);
}
