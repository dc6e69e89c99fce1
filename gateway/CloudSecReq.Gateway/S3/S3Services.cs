using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage;

namespace CloudSecReq.Gateway.S3;

/// <summary>What the S3 handlers work with. One per gateway; thread-safe.</summary>
internal sealed class S3Services(IMetadataStore store, BlobStore blobs, GarbageCollector garbage, StorageClassCatalog storageClasses, HealQueue healing, TimeProvider clock, string region)
{
    public IMetadataStore Store { get; } = store;
    public BlobStore Blobs { get; } = blobs;
    public GarbageCollector Garbage { get; } = garbage;
    public StorageClassCatalog StorageClasses { get; } = storageClasses;
    public HealQueue Healing { get; } = healing;
    public TimeProvider Clock { get; } = clock;
    public string Region { get; } = region;
}
