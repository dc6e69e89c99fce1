using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Garbage;

namespace CloudSecReq.Gateway.Objects;

/// <summary>PutObjectTagging, GetObjectTagging, DeleteObjectTagging. One per gateway; thread-safe.</summary>
internal sealed class ObjectTagger(IMetadataStore store, ObjectManifests manifests, GarbageCollector garbage)
{
    /// <summary>The object's tags, or null when the key holds no object.</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>?> GetTaggingAsync(string bucket, string objectKey, CancellationToken ct) =>
        (await store.GetObjectAsync(bucket, objectKey, ct))?.Tags;

    /// <summary>
    /// Replaces an object's tags (none: DeleteObjectTagging); false when the key holds no object. The
    /// manifest is written anew (the volumes must describe the tags a rebuild restores; an inline
    /// object's copies carry its bytes over) and swapped in only if the object was not replaced
    /// meanwhile; otherwise the new copies are released and it is tried again. Throws
    /// <see cref="ObjectFailure.KeptChanging"/> when the object kept changing.
    /// </summary>
    public async Task<bool> PutTaggingAsync(string bucket, string objectKey, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (await store.GetObjectAsync(bucket, objectKey, ct) is not { } current)
            {
                return false;
            }
            var replacement = await manifests.WriteFreshAsync(current, current with { Tags = tags }, ct);
            bool replaced;
            try
            {
                replaced = await store.ReplaceObjectIfUnchangedAsync(current, replacement, CancellationToken.None);
            }
            catch
            {
                await manifests.ReleaseAsync(replacement);
                throw;
            }
            if (replaced)
            {
                await garbage.CollectAsync(ct);
                return true;
            }
            await manifests.ReleaseAsync(replacement);
            if (attempt == 3)
            {
                throw new ObjectException(ObjectFailure.KeptChanging, "The object changed while its tags were being set; please retry.");
            }
        }
    }
}
