using System.Text;
using Microsoft.Data.Sqlite;
using static CloudSecReq.Gateway.Metadata.Sqlite.SqliteEngine;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

// Multipart uploads and their parts; completing or aborting one queues the unused parts as garbage.
internal sealed partial class SqliteMetadataStore
{
    public Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
        await ExecAsync(c, tx, "INSERT INTO uploads(upload_id, bucket, key, props) VALUES($u, $b, $k, $p)", ct,
            ("$u", upload.UploadId), ("$b", upload.Bucket), ("$k", upload.Key), ("$p", Json(upload))), ct);

    public async Task<MultipartUpload?> GetUploadAsync(string bucket, string uploadId, CancellationToken ct) =>
        (await _engine.QueryAsync("SELECT props FROM uploads WHERE upload_id=$u AND bucket=$b", r => FromJson<MultipartUpload>(r.GetString(0)), ct,
            ("$u", uploadId), ("$b", bucket))).FirstOrDefault();

    public Task<bool> PutPartAsync(UploadPart part, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        await using (var check = Command(c, tx, "SELECT 1 FROM uploads WHERE upload_id=$u", ("$u", part.UploadId)))
        {
            if (await check.ExecuteScalarAsync(ct) is null)
            {
                return false;
            }
        }
        await using (var old = Command(c, tx, "SELECT props FROM parts WHERE upload_id=$u AND part_number=$n", ("$u", part.UploadId), ("$n", part.PartNumber)))
        {
            if (await old.ExecuteScalarAsync(ct) is string json)
            {
                await AddGarbageAsync(c, tx, [FromJson<UploadPart>(json).Segment], ct);
            }
        }
        await ExecAsync(c, tx, "INSERT OR REPLACE INTO parts(upload_id, part_number, props) VALUES($u, $n, $p)", ct,
            ("$u", part.UploadId), ("$n", part.PartNumber), ("$p", Json(part)));
        return true;
    }, ct);

    public Task<bool> SwapPartSegmentAsync(string uploadId, int partNumber, DataSegment expected, DataSegment replacement, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        UploadPart? old = null;
        await using (var read = Command(c, tx, "SELECT props FROM parts WHERE upload_id=$u AND part_number=$n", ("$u", uploadId), ("$n", partNumber)))
        {
            if (await read.ExecuteScalarAsync(ct) is string json)
            {
                old = FromJson<UploadPart>(json);
            }
        }
        if (old is null || !old.Segment.Shards.SequenceEqual(expected.Shards))
        {
            return false;
        }
        var shardBytes = expected.ShardFileBytes;
        foreach (var shard in expected.Shards.Where(s => !replacement.Shards.Contains(s)))
        {
            await ExecAsync(c, tx, "INSERT OR IGNORE INTO garbage(volume_id, blob_id, length) VALUES($v, $b, $l)", ct,
                ("$v", shard.VolumeId), ("$b", shard.BlobId), ("$l", shardBytes));
        }
        await ExecAsync(c, tx, "UPDATE parts SET props=$p WHERE upload_id=$u AND part_number=$n", ct,
            ("$u", uploadId), ("$n", partNumber), ("$p", Json(old with { Segment = replacement })));
        return true;
    }, ct);

    public async Task<ListPage<UploadPart>> ListPartsAsync(string uploadId, int partNumberMarker, int limit, CancellationToken ct)
    {
        var rows = await _engine.QueryAsync("SELECT props FROM parts WHERE upload_id=$u AND part_number > $m ORDER BY part_number LIMIT $l",
            r => FromJson<UploadPart>(r.GetString(0)), ct, ("$u", uploadId), ("$m", partNumberMarker), ("$l", limit + 1));
        return Page(rows, limit);
    }

    public async Task<ListPage<MultipartUpload>> ListUploadsAsync(string bucket, string prefix, string? keyMarker, string? uploadIdMarker, int limit, CancellationToken ct)
    {
        var sql = new StringBuilder("SELECT props FROM uploads WHERE bucket=$b");
        var args = new List<(string, object?)> { ("$b", bucket) };
        if (keyMarker is not null)
        {
            sql.Append(uploadIdMarker is null ? " AND key > $km" : " AND (key > $km OR (key = $km AND upload_id > $um))");
            args.Add(("$km", keyMarker));
            args.Add(("$um", uploadIdMarker));
        }
        AppendPrefixRange(sql, args, prefix);
        sql.Append(" ORDER BY key, upload_id LIMIT $limit");
        args.Add(("$limit", limit + 1));
        var rows = await _engine.QueryAsync(sql.ToString(), r => FromJson<MultipartUpload>(r.GetString(0)), ct, args.ToArray());
        return Page(rows, limit);
    }

    public Task<WriteOutcome> CompleteUploadAsync(string uploadId, ObjectRecord record, ObjectWriteCondition condition, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        await using (var check = Command(c, tx, "SELECT 1 FROM uploads WHERE upload_id=$u", ("$u", uploadId)))
        {
            if (await check.ExecuteScalarAsync(ct) is null)
            {
                return WriteOutcome.NoSuchUpload;
            }
        }
        var stored = new List<DataSegment>();
        await using (var parts = Command(c, tx, "SELECT props FROM parts WHERE upload_id=$u", ("$u", uploadId)))
        await using (var reader = await parts.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                stored.Add(FromJson<UploadPart>(reader.GetString(0)).Segment);
            }
        }
        // Every shard, not only the first (SameBlobs): a heal of the part may have replaced any of them.
        if (!record.Segments.All(r => r.Shards.Count == 0 || stored.Any(p => p.Shards.SequenceEqual(r.Shards))))
        {
            return WriteOutcome.PartsChanged;
        }
        if (condition.FailedHeader(await ReadObjectAsync(c, tx, record.Bucket, record.Key, ct)) is not null)
        {
            // The upload stays, as in AWS: the client may complete it again without the condition.
            return WriteOutcome.PreconditionFailed;
        }
        await DropUploadAsync(c, tx, uploadId, keep: record.Segments, ct);
        return await ReplaceObjectAsync(c, tx, record, ct) ? WriteOutcome.Replaced : WriteOutcome.Created;
    }, ct);

    public Task<bool> AbortUploadAsync(string bucket, string uploadId, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        await using (var check = Command(c, tx, "SELECT 1 FROM uploads WHERE upload_id=$u AND bucket=$b", ("$u", uploadId), ("$b", bucket)))
        {
            if (await check.ExecuteScalarAsync(ct) is null)
            {
                return false;
            }
        }
        await DropUploadAsync(c, tx, uploadId, keep: null, ct);
        return true;
    }, ct);

    private static async Task DropUploadAsync(SqliteConnection c, SqliteTransaction tx, string uploadId, IReadOnlyList<DataSegment>? keep, CancellationToken ct)
    {
        var segments = new List<DataSegment>();
        await using (var parts = Command(c, tx, "SELECT props FROM parts WHERE upload_id=$u", ("$u", uploadId)))
        await using (var reader = await parts.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                segments.Add(FromJson<UploadPart>(reader.GetString(0)).Segment);
            }
        }
        await AddGarbageAsync(c, tx, keep is null ? segments : segments.Where(s => !keep.Any(k => k.SameBlobs(s))), ct);
        await ExecAsync(c, tx, "DELETE FROM parts WHERE upload_id=$u", ct, ("$u", uploadId));
        await ExecAsync(c, tx, "DELETE FROM uploads WHERE upload_id=$u", ct, ("$u", uploadId));
    }
}
