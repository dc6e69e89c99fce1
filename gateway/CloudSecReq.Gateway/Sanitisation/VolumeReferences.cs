using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// What the metadata still says lies on one volume: objects with a shard, an inline copy or a manifest
/// copy on it, parts of open multipart uploads with a shard on it (live data: a wipe refuses), and
/// released shard files and manifest copies waiting for the garbage collector's overwrite (garbage:
/// the wipe overwrites them and forgets them).
/// </summary>
internal sealed record VolumeReferences(string VolumeId, long Objects, long Pieces, long UploadParts, IReadOnlyList<ShardBlob> ReleasedShardFiles, IReadOnlyList<ManifestCopy> ReleasedManifestCopies)
{
    public bool HoldsLiveData => Objects > 0 || UploadParts > 0;

    /// <summary>Walks every object and upload part (a full metadata scan) and the garbage lists.</summary>
    public static async Task<VolumeReferences> CountAsync(IMetadataStore store, string volumeId, CancellationToken ct)
    {
        long objects = 0, pieces = 0, parts = 0;
        await foreach (var record in ObjectWalk.AllAsync(store, null, ct))
        {
            var n = record.Manifests.Count(c => c.VolumeId == volumeId) + record.Segments.Sum(s => s.Shards.Count(shard => shard.VolumeId == volumeId));
            objects += n > 0 ? 1 : 0;
            pieces += n;
        }
        await foreach (var (_, part) in UploadWalk.AllPartsAsync(store, ct))
        {
            parts += part.Segment.Shards.Any(s => s.VolumeId == volumeId) ? 1 : 0;
        }
        var shardFiles = (await store.ListGarbageAsync(int.MaxValue, ct)).Where(b => b.VolumeId == volumeId).ToList();
        var manifestCopies = (await store.ListManifestGarbageAsync(int.MaxValue, ct)).Where(c => c.VolumeId == volumeId).ToList();
        return new VolumeReferences(volumeId, objects, pieces, parts, shardFiles, manifestCopies);
    }
}
