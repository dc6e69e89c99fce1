using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Garbage;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// DeleteObject and DeleteObjects: the metadata commit records the object's shard files and manifest
/// copies as garbage in the same transaction, then the garbage collector is woken to overwrite them.
/// One per gateway; thread-safe.
/// </summary>
internal sealed class ObjectDeleter(IMetadataStore store, GarbageCollector garbage)
{
    /// <summary>Deletes the object if there is one (S3 answers the same either way).</summary>
    public async Task DeleteAsync(string bucket, string objectKey, CancellationToken ct)
    {
        if (await store.DeleteObjectAsync(bucket, objectKey, ct))
        {
            await garbage.CollectAsync(ct);
        }
    }

    /// <summary>Deletes each of <paramref name="objectKeys"/> in turn, then wakes the garbage collector once.</summary>
    public async Task DeleteObjectsAsync(string bucket, IEnumerable<string> objectKeys, CancellationToken ct)
    {
        foreach (var objectKey in objectKeys)
        {
            await store.DeleteObjectAsync(bucket, objectKey, ct);
        }
        await garbage.CollectAsync(ct);
    }
}
