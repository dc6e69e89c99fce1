using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// ListBuckets, CreateBucket, DeleteBucket and the bucket's default encryption; also the lookup the
/// protocol's policy step resolves a bucket with. One per gateway; thread-safe.
/// </summary>
internal sealed class Buckets(IMetadataStore store, GarbageCollector garbage, TimeProvider clock, string region)
{
    /// <summary>The region this gateway creates buckets in.</summary>
    public string Region => region;

    /// <summary>The bucket, or null when there is none of that name.</summary>
    public Task<Bucket?> FindAsync(string name, CancellationToken ct) => store.GetBucketAsync(name, ct);

    /// <summary>The tenant's buckets that <paramref name="principal"/>'s policy allows.</summary>
    public async Task<List<Bucket>> ListAsync(Principal principal, CancellationToken ct) =>
        (await store.ListBucketsAsync(principal.Tenant.Id, ct)).Where(b => principal.User.Policy.AllowsBucket(b.Name)).ToList();

    /// <summary>Creates the bucket for <paramref name="principal"/>'s tenant in this gateway's region; the result says whether the name was free.</summary>
    public Task<BucketCreateResult> CreateAsync(Principal principal, string name, CancellationToken ct) =>
        store.CreateBucketAsync(new Bucket(name, principal.Tenant.Id, region, clock.GetUtcNow()), ct);

    /// <summary>Deletes an empty bucket; false when it still holds objects. The garbage collector is woken.</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        if (!await store.DeleteBucketAsync(name, ct))
        {
            return false;
        }
        await garbage.CollectAsync(ct);
        return true;
    }

    /// <summary>Sets (null: removes) the bucket's default encryption.</summary>
    public Task SetEncryptionAsync(string name, BucketEncryption? encryption, CancellationToken ct) =>
        store.SetBucketEncryptionAsync(name, encryption, ct);
}
