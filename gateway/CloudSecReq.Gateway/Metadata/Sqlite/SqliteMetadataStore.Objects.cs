using System.Text;
using Microsoft.Data.Sqlite;
using static CloudSecReq.Gateway.Metadata.Sqlite.SqliteEngine;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

// Object records; replacing or deleting one queues its storage as garbage in the same transaction.
internal sealed partial class SqliteMetadataStore
{
    public async Task<ObjectRecord?> GetObjectAsync(string bucket, string key, CancellationToken ct) =>
        (await _engine.QueryAsync("SELECT props FROM objects WHERE bucket=$b AND key=$k", r => FromJson<ObjectRecord>(r.GetString(0)), ct,
            ("$b", bucket), ("$k", key))).FirstOrDefault();

    public Task<bool> PutObjectAsync(ObjectRecord record, CancellationToken ct) => _engine.WriteAsync((c, tx) => ReplaceObjectAsync(c, tx, record, ct), ct);

    public Task<WriteOutcome> PutObjectIfAsync(ObjectRecord record, ObjectWriteCondition condition, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        if (condition.FailedHeader(await ReadObjectAsync(c, tx, record.Bucket, record.Key, ct)) is not null)
        {
            return WriteOutcome.PreconditionFailed;
        }
        return await ReplaceObjectAsync(c, tx, record, ct) ? WriteOutcome.Replaced : WriteOutcome.Created;
    }, ct);

    // True when an older object was replaced (its storage became garbage).
    private static async Task<bool> ReplaceObjectAsync(SqliteConnection c, SqliteTransaction tx, ObjectRecord record, CancellationToken ct)
    {
        var old = await ReadObjectAsync(c, tx, record.Bucket, record.Key, ct);
        if (old is not null)
        {
            await AddGarbageAsync(c, tx, old.Segments.Where(o => !record.Segments.Any(n => n.SameBlobs(o))), ct);
            await AddManifestGarbageAsync(c, tx, old.Manifests.Where(o => !record.Manifests.Contains(o)), ct);
        }
        await ExecAsync(c, tx, "INSERT OR REPLACE INTO objects(bucket, key, props, kms_key_arn) VALUES($b, $k, $p, $a)", ct,
            ("$b", record.Bucket), ("$k", record.Key), ("$p", Json(record)), ("$a", record.Encryption?.KeyArn));
        return old is not null;
    }

    private static async Task<ObjectRecord?> ReadObjectAsync(SqliteConnection c, SqliteTransaction tx, string bucket, string key, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, "SELECT props FROM objects WHERE bucket=$b AND key=$k", ("$b", bucket), ("$k", key));
        return await cmd.ExecuteScalarAsync(ct) is string json ? FromJson<ObjectRecord>(json) : null;
    }

    public Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        var old = await ReadObjectAsync(c, tx, bucket, key, ct);
        if (old is null)
        {
            return false;
        }
        await AddGarbageAsync(c, tx, old.Segments, ct);
        await AddManifestGarbageAsync(c, tx, old.Manifests, ct);
        await ExecAsync(c, tx, "DELETE FROM objects WHERE bucket=$b AND key=$k", ct, ("$b", bucket), ("$k", key));
        return true;
    }, ct);

    public Task<bool> SwapSegmentAsync(string bucket, string key, DataSegment expected, DataSegment replacement, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        var old = await ReadObjectAsync(c, tx, bucket, key, ct);
        // Every shard must match, not only the first (SameBlobs): a heal may have replaced shard 0.
        var index = old is null ? -1 : old.Segments.ToList().FindIndex(s => s.Shards.SequenceEqual(expected.Shards));
        if (index < 0)
        {
            return false;
        }
        var segments = old!.Segments.ToList();
        segments[index] = replacement;
        var dropped = expected.Shards.Where(s => !replacement.Shards.Contains(s)).ToList();
        var shardBytes = expected.ShardFileBytes;
        foreach (var shard in dropped)
        {
            await ExecAsync(c, tx, "INSERT OR IGNORE INTO garbage(volume_id, blob_id, length) VALUES($v, $b, $l)", ct,
                ("$v", shard.VolumeId), ("$b", shard.BlobId), ("$l", shardBytes));
        }
        await ExecAsync(c, tx, "UPDATE objects SET props=$p WHERE bucket=$b AND key=$k", ct,
            ("$b", bucket), ("$k", key), ("$p", Json(old with { Segments = segments })));
        return true;
    }, ct);

    public Task<bool> ReplaceObjectIfUnchangedAsync(ObjectRecord expected, ObjectRecord replacement, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        var old = await ReadObjectAsync(c, tx, expected.Bucket, expected.Key, ct);
        if (old is null || old.ETag != expected.ETag || old.LastModified != expected.LastModified
            || old.Segments.Count != expected.Segments.Count || !old.Segments.Zip(expected.Segments).All(p => p.First.SameBlobs(p.Second) || p.First.Shards.Count == 0)
            || !old.Manifests.SequenceEqual(expected.Manifests))
        {
            return false;
        }
        await ReplaceObjectAsync(c, tx, replacement, ct);
        return true;
    }, ct);

    public async Task<ListPage<ObjectRecord>> ListObjectsAsync(string bucket, string prefix, string? startAfter, int limit, CancellationToken ct)
    {
        var sql = new StringBuilder("SELECT props FROM objects WHERE bucket=$b");
        var args = new List<(string, object?)> { ("$b", bucket) };
        var lower = startAfter is not null && string.CompareOrdinal(startAfter, prefix) >= 0 ? startAfter : null;
        if (lower is not null)
        {
            sql.Append(" AND key > $after");
            args.Add(("$after", lower));
        }
        AppendPrefixRange(sql, args, prefix);
        sql.Append(" ORDER BY key LIMIT $limit");
        args.Add(("$limit", limit + 1));
        var rows = await _engine.QueryAsync(sql.ToString(), r => FromJson<ObjectRecord>(r.GetString(0)), ct, args.ToArray());
        return Page(rows, limit);
    }

    public async Task<IReadOnlyList<(string Bucket, string Key)>> ListObjectsByKmsKeyAsync(string keyArn, int limit, CancellationToken ct) =>
        await _engine.QueryAsync("SELECT bucket, key FROM objects WHERE kms_key_arn=$a ORDER BY bucket, key LIMIT $l", r => (r.GetString(0), r.GetString(1)), ct,
            ("$a", keyArn), ("$l", limit));
}
