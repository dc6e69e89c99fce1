using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// GetObjectLocation and GetBucketDataLocation (P2 8.3.2 b): where an object's pieces are, and how a
/// bucket's stored bytes spread over sites and racks (<see cref="ObjectLocator"/>). One per gateway; thread-safe.
/// </summary>
internal sealed class ObjectLocations(IMetadataStore store, ObjectLocator locator)
{
    /// <summary>The object and the places of each of its segments' pieces, or null when the key holds no object.</summary>
    public async Task<(ObjectRecord Record, IReadOnlyList<ObjectLocator.SegmentPlace> Segments)?> LocateAsync(string bucket, string objectKey, CancellationToken ct) =>
        await store.GetObjectAsync(bucket, objectKey, ct) is { } record ? (record, locator.Locate(record)) : null;

    /// <summary>How many objects the bucket holds, and its stored bytes per site and rack.</summary>
    public Task<(long Objects, IReadOnlyList<ObjectLocator.RackShare> Racks)> SummarizeBucketAsync(string bucket, CancellationToken ct) =>
        locator.SummarizeBucketAsync(store, bucket, ct);
}
