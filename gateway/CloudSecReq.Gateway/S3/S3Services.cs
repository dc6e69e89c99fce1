using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.S3;

/// <summary>What the S3 handlers work with. One per gateway; thread-safe.</summary>
internal sealed class S3Services(IMetadataStore store, BlobStore blobs, GarbageCollector garbage, StorageClassCatalog storageClasses, HealQueue healing, TimeProvider clock, string region,
    ManifestWriter? manifests = null)
{
    public const long MaxSinglePutBytes = 5L * 1024 * 1024 * 1024;
    public const long MinPartBytes = 5L * 1024 * 1024;
    public const int MaxPartNumber = 10_000;

    public IMetadataStore Store { get; } = store;
    public BlobStore Blobs { get; } = blobs;
    public GarbageCollector Garbage { get; } = garbage;
    public StorageClassCatalog StorageClasses { get; } = storageClasses;
    public HealQueue Healing { get; } = healing;
    public TimeProvider Clock { get; } = clock;
    public string Region { get; } = region;
    /// <summary>Writes object manifests to the volumes before each metadata commit; null: none are written.</summary>
    public ManifestWriter? Manifests { get; } = manifests;

    /// <summary>
    /// Writes <paramref name="record"/>'s manifest to the volumes (durable when this returns) and
    /// returns the record with where its copies are, ready for the metadata commit. Throws
    /// <see cref="S3Exception"/> ServiceUnavailable when the copies cannot be placed across racks.
    /// </summary>
    public async Task<ObjectRecord> WithManifestsAsync(ObjectRecord record, CancellationToken ct)
    {
        if (Manifests is null)
        {
            return record;
        }
        try
        {
            return record with { Manifests = await Manifests.WriteObjectAsync(record, ct) };
        }
        catch (IOException e)
        {
            throw new S3Exception(S3ErrorCode.ServiceUnavailable, "The object's manifest could not be stored; please retry.", e);
        }
    }

    /// <summary>Overwrites the manifest copies of a record whose metadata commit did not happen.</summary>
    public Task ReleaseManifestsAsync(ObjectRecord record) =>
        Manifests is null || record.Manifests.Count == 0 ? Task.CompletedTask : Manifests.ReleaseAsync(record.Manifests);

    /// <summary>
    /// The class a write by <paramref name="principal"/> gets for <c>x-amz-storage-class</c>
    /// <paramref name="requested"/> (null: the default). Throws InvalidStorageClass for a class not
    /// configured, AccessDenied for one the operator does not allow this tenant.
    /// </summary>
    public StorageClass ResolveStorageClass(Principal principal, string? requested)
    {
        if (StorageClasses.TryResolve(requested, principal.Tenant.Name, out var storageClass, out var refusal))
        {
            return storageClass;
        }
        throw refusal == StorageClassRefusal.Unknown
            ? new S3Exception(S3ErrorCode.InvalidStorageClass).With("StorageClassRequested", requested ?? "")
            : new S3Exception(S3ErrorCode.AccessDenied, $"The storage class {requested} is not allowed for this account.");
    }

    /// <summary>The class of that name for an upload started earlier; the default when it is no longer configured.</summary>
    public StorageClass StorageClassOf(string name) =>
        StorageClasses.All.FirstOrDefault(c => c.Name == name) ?? StorageClasses.Default;

    /// <summary>Queues <paramref name="record"/> for healing when a read worked around shard faults.</summary>
    public Task ReportFaultsAsync(ObjectRecord record, IReadOnlyList<ShardFault> faults) =>
        faults.Count == 0
            ? Task.CompletedTask
            : Healing.ReportAsync(record.Bucket, record.Key, string.Join("; ", faults.Take(4).Select(f => $"shard {f.ShardIndex}: {f.Kind}")));
}
