using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage;

namespace CloudSecReq.Gateway.S3;

/// <summary>What the S3 handlers work with. One per gateway; thread-safe.</summary>
internal sealed class S3Services(IMetadataStore store, BlobStore blobs, GarbageCollector garbage, TimeProvider clock, string region)
{
    public const long MaxSinglePutBytes = 5L * 1024 * 1024 * 1024;
    public const long MinPartBytes = 5L * 1024 * 1024;
    public const int MaxPartNumber = 10_000;

    public IMetadataStore Store { get; } = store;
    public BlobStore Blobs { get; } = blobs;
    public GarbageCollector Garbage { get; } = garbage;
    public TimeProvider Clock { get; } = clock;
    public string Region { get; } = region;
}
