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
    ManifestWriter manifests)
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
    /// <summary>Writes object manifests (and the bytes of inline objects) to the volumes before each metadata commit.</summary>
    public ManifestWriter Manifests { get; } = manifests;

    /// <summary>
    /// Writes <paramref name="record"/>'s manifest to the volumes (durable when this returns) and
    /// returns the record with where its copies are, ready for the metadata commit. For an object
    /// stored inline, <paramref name="inlineBytes"/> are its sealed bytes: every copy carries them, the
    /// copies go first to <paramref name="preferredVolumes"/>, and at least 1 + the write quorum of them
    /// must be durable. Throws <see cref="S3Exception"/> ServiceUnavailable when the copies cannot be
    /// placed across racks.
    /// </summary>
    public async Task<ObjectRecord> WithManifestsAsync(ObjectRecord record, ReadOnlyMemory<byte>? inlineBytes, IReadOnlyList<string>? preferredVolumes,
        CancellationToken ct)
    {
        try
        {
            return record with
            {
                Manifests = inlineBytes is { } bytes
                    ? await Manifests.WriteObjectAsync(record, bytes, preferredVolumes, 1 + Math.Min(Blobs.WriteQuorum, record.Segments[0].ParityShards), ct)
                    : await Manifests.WriteObjectAsync(record, ct),
            };
        }
        catch (IOException e)
        {
            throw new S3Exception(S3ErrorCode.ServiceUnavailable, record.IsInline()
                ? "Too few copies of the object could be stored; please retry."
                : "The object's manifest could not be stored; please retry.", e);
        }
    }

    /// <summary>
    /// Writes the manifest of <paramref name="replacement"/>, a new version of the metadata of
    /// <paramref name="current"/> (new tags), to the volumes; an inline object's bytes are carried
    /// over from a good copy of <paramref name="current"/>, and the new copies go to the same volumes
    /// first. Throws <see cref="S3Exception"/> ServiceUnavailable when no copy of the bytes is readable
    /// or the copies cannot be placed across racks.
    /// </summary>
    public async Task<ObjectRecord> WithFreshManifestsAsync(ObjectRecord current, ObjectRecord replacement, CancellationToken ct)
    {
        replacement = replacement with { Manifests = [] };
        if (!current.IsInline())
        {
            return await WithManifestsAsync(replacement, null, null, ct);
        }
        var bytes = await Blobs.ReadInlineAsync(current, ct)
            ?? throw new S3Exception(S3ErrorCode.ServiceUnavailable, "No copy of the object is readable right now; please retry later.");
        return await WithManifestsAsync(replacement, bytes, current.Manifests.Select(m => m.VolumeId).ToList(), ct);
    }

    /// <summary>Overwrites the manifest copies of a record whose metadata commit did not happen.</summary>
    public Task ReleaseManifestsAsync(ObjectRecord record) =>
        record.Manifests.Count == 0 ? Task.CompletedTask : Manifests.ReleaseAsync(record.Manifests);

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
