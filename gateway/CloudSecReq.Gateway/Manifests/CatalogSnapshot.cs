using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// Tenants, users, access keys (secrets sealed by the HSM's platform key, as in the database) and
/// buckets (with their default encryption) at one moment. <see cref="Generation"/> increases with
/// every snapshot (UTC ticks, or one more than the previous when the clock has not moved on): a
/// rebuild restores the snapshot with the highest one.
/// </summary>
internal sealed record CatalogSnapshot(long Generation, IReadOnlyList<Tenant> Tenants, IReadOnlyList<User> Users, IReadOnlyList<AccessKey> AccessKeys, IReadOnlyList<Bucket> Buckets)
{
    /// <summary>Reads the catalog from <paramref name="store"/> (not atomically: the caller compares catalog versions around it).</summary>
    public static async Task<CatalogSnapshot> ReadAsync(IMetadataStore store, long generation, CancellationToken ct)
    {
        var tenants = await store.ListTenantsAsync(ct);
        var users = new List<User>();
        var accessKeys = new List<AccessKey>();
        var buckets = new List<Bucket>();
        foreach (var tenant in tenants)
        {
            users.AddRange(await store.ListUsersAsync(tenant.Id, ct));
            accessKeys.AddRange(await store.ListAccessKeysAsync(tenant.Id, ct));
            buckets.AddRange(await store.ListBucketsAsync(tenant.Id, ct));
        }
        return new CatalogSnapshot(generation, tenants, users, accessKeys, buckets);
    }
}
