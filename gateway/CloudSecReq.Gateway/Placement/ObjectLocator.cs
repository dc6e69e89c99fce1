using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Placement;

/// <summary>
/// Where a tenant's data is (P2 8.3.2 b): the site, rack, node and volume that hold each stored
/// piece of an object (per segment: a single PUT's body or a part, k + m shards each; for a small
/// object stored inline, its m + 1 manifest copies), and per bucket how its stored bytes spread over
/// sites and racks. Thread-safe.
/// </summary>
internal sealed class ObjectLocator(IEnumerable<Volume> volumes)
{
    private readonly Dictionary<string, Volume> _volumes = volumes.ToDictionary(v => v.Id);

    public sealed record Piece(int Index, string VolumeId, string Site, string Rack, string Node, string State);
    /// <param name="Layout">"erasure k+m" (shard i on piece i) or "inline, n copies" (whole copies).</param>
    public sealed record SegmentPlace(int PartNumber, long Bytes, string Layout, IReadOnlyList<Piece> Pieces);

    public IReadOnlyList<SegmentPlace> Locate(ObjectRecord record) =>
        record.Segments.Select(s => s.Inline
            ? new SegmentPlace(s.PartNumber, s.ObjectBytes, $"inline, {record.Manifests.Count} copies", record.Manifests.Select((copy, i) => PieceOf(i, copy.VolumeId)).ToList())
            : new SegmentPlace(s.PartNumber, s.ObjectBytes, $"erasure {s.DataShards}+{s.ParityShards}", s.Shards.Select((shard, i) => PieceOf(i, shard.VolumeId)).ToList())).ToList();

    public sealed record RackShare(string Site, string Rack, long Pieces, long StoredBytes);

    /// <summary>How a bucket's stored bytes spread over sites and racks, read from the index a page at a time.</summary>
    public async Task<(long Objects, IReadOnlyList<RackShare> Racks)> SummarizeBucketAsync(IMetadataStore store, string bucket, CancellationToken ct)
    {
        var tally = new Dictionary<(string Site, string Rack), (long Pieces, long Bytes)>();
        long objects = 0;
        await foreach (var record in ObjectWalk.InBucketAsync(store, bucket, null, ct))
        {
            foreach (var segment in record.Segments)
            {
                var pieces = segment.Inline
                    ? record.Manifests.Select(c => (c.VolumeId, Bytes: (long)c.Extent.Length))
                    : segment.Shards.Select(shard => (shard.VolumeId, Bytes: segment.ShardFileBytes));
                foreach (var (volumeId, pieceBytes) in pieces)
                {
                    var piece = PieceOf(0, volumeId);
                    var (n, bytes) = tally.GetValueOrDefault((piece.Site, piece.Rack));
                    tally[(piece.Site, piece.Rack)] = (n + 1, bytes + pieceBytes);
                }
            }
            objects++;
        }
        var racks = tally.OrderBy(t => t.Key.Site, StringComparer.Ordinal).ThenBy(t => t.Key.Rack, StringComparer.Ordinal)
            .Select(t => new RackShare(t.Key.Site, t.Key.Rack, t.Value.Pieces, t.Value.Bytes)).ToList();
        return (objects, racks);
    }

    /// <summary>
    /// How many objects have a shard (or an inline copy) on a volume, and how many in all, read from the index a
    /// page at a time over every tenant's buckets (one pass over all objects: an admin report, not
    /// for the request path). Parts of multipart uploads still in progress are not counted.
    /// </summary>
    public static async Task<(long Objects, long Shards)> CountOnVolumeAsync(IMetadataStore store, string volumeId, CancellationToken ct)
    {
        long objects = 0, shards = 0;
        await foreach (var record in ObjectWalk.AllAsync(store, null, ct))
        {
            var n = record.IsInline()
                ? record.Manifests.Count(c => c.VolumeId == volumeId)
                : record.Segments.Sum(s => s.Shards.Count(shard => shard.VolumeId == volumeId));
            objects += n > 0 ? 1 : 0;
            shards += n;
        }
        return (objects, shards);
    }

    private Piece PieceOf(int index, string volumeId) => _volumes.TryGetValue(volumeId, out var v)
        ? new Piece(index, volumeId, v.Config.Site, v.Config.Rack, v.Config.Node, v.StateText)
        : new Piece(index, volumeId, "?", "?", "?", "volume not configured");
}
