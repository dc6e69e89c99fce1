using Microsoft.Data.Sqlite;
using static CloudSecReq.Gateway.Metadata.Sqlite.SqliteEngine;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

// Garbage: shard files and manifest copies that no record names any more, for the sweeper to delete.
internal sealed partial class SqliteMetadataStore
{
    public async Task<IReadOnlyList<ShardBlob>> ListGarbageAsync(int limit, CancellationToken ct) =>
        await _engine.QueryAsync("SELECT volume_id, blob_id FROM garbage LIMIT $l", r => new ShardBlob(r.GetString(0), r.GetString(1)), ct, ("$l", limit));

    public async Task<(long ShardFiles, long ManifestCopies)> CountGarbageAsync(CancellationToken ct) =>
        (await _engine.QueryAsync("SELECT (SELECT COUNT(*) FROM garbage), (SELECT COUNT(*) FROM manifest_garbage)", r => (r.GetInt64(0), r.GetInt64(1)), ct))[0];

    public Task ForgetGarbageAsync(IReadOnlyList<ShardBlob> blobs, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        foreach (var s in blobs)
        {
            await ExecAsync(c, tx, "DELETE FROM garbage WHERE volume_id=$v AND blob_id=$b", ct, ("$v", s.VolumeId), ("$b", s.BlobId));
        }
        return true;
    }, ct);

    public async Task<IReadOnlyList<ManifestCopy>> ListManifestGarbageAsync(int limit, CancellationToken ct) =>
        await _engine.QueryAsync("SELECT volume_id, segment, offset, length FROM manifest_garbage LIMIT $l",
            r => new ManifestCopy(r.GetString(0), new LogExtent(r.GetString(1), r.GetInt64(2), r.GetInt32(3))), ct, ("$l", limit));

    public Task ForgetManifestGarbageAsync(IReadOnlyList<ManifestCopy> copies, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        foreach (var m in copies)
        {
            await ExecAsync(c, tx, "DELETE FROM manifest_garbage WHERE volume_id=$v AND segment=$s AND offset=$o", ct,
                ("$v", m.VolumeId), ("$s", m.Extent.Segment), ("$o", m.Extent.Offset));
        }
        return true;
    }, ct);

    public Task QueueGarbageAsync(IReadOnlyList<DataSegment> segments, IReadOnlyList<ManifestCopy> manifests, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        await AddGarbageAsync(c, tx, segments, ct);
        await AddManifestGarbageAsync(c, tx, manifests, ct);
        return true;
    }, ct);

    private static async Task AddGarbageAsync(SqliteConnection c, SqliteTransaction tx, IEnumerable<DataSegment> segments, CancellationToken ct)
    {
        foreach (var s in segments)
        {
            var shardBytes = s.ShardFileBytes;
            foreach (var shard in s.Shards)
            {
                await ExecAsync(c, tx, "INSERT OR IGNORE INTO garbage(volume_id, blob_id, length) VALUES($v, $b, $l)", ct,
                    ("$v", shard.VolumeId), ("$b", shard.BlobId), ("$l", shardBytes));
            }
        }
    }

    private static async Task AddManifestGarbageAsync(SqliteConnection c, SqliteTransaction tx, IEnumerable<ManifestCopy> copies, CancellationToken ct)
    {
        foreach (var m in copies)
        {
            await ExecAsync(c, tx, "INSERT OR IGNORE INTO manifest_garbage(volume_id, segment, offset, length) VALUES($v, $s, $o, $l)", ct,
                ("$v", m.VolumeId), ("$s", m.Extent.Segment), ("$o", m.Extent.Offset), ("$l", m.Extent.Length));
        }
    }
}
