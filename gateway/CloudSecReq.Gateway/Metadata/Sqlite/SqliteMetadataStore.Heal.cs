using Microsoft.Data.Sqlite;
using static CloudSecReq.Gateway.Metadata.Sqlite.SqliteEngine;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

// The heal queue: objects and upload parts with a missing or damaged shard or copy.
internal sealed partial class SqliteMetadataStore
{
    public Task QueueHealAsync(HealRequest request, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        await ExecAsync(c, tx, "INSERT INTO heal_queue(bucket, key, upload_id, part_number, reason, queued_at) VALUES($b, $k, $u, $n, $r, $t) " +
            "ON CONFLICT(bucket, key, upload_id, part_number) DO UPDATE SET reason=excluded.reason, queued_at=excluded.queued_at", ct,
            ("$b", request.Bucket), ("$k", request.Key), ("$u", request.UploadId ?? ""), ("$n", request.IsPart ? request.PartNumber : 0),
            ("$r", request.Reason), ("$t", request.QueuedAt.ToUnixTimeMilliseconds()));
        return true;
    }, ct);

    public async Task<IReadOnlyList<HealRequest>> ListHealQueueAsync(int limit, CancellationToken ct) =>
        await _engine.QueryAsync("SELECT bucket, key, reason, queued_at, upload_id, part_number FROM heal_queue ORDER BY queued_at LIMIT $l",
            r => new HealRequest(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
                r.GetString(4) is { Length: > 0 } uploadId ? uploadId : null, r.GetInt32(5)), ct, ("$l", limit));

    public async Task<long> CountHealQueueAsync(CancellationToken ct) =>
        (await _engine.QueryAsync("SELECT COUNT(*) FROM heal_queue", r => r.GetInt64(0), ct))[0];

    /// <summary>
    /// Counts the heal queue of the database at <paramref name="path"/> through one read-only,
    /// unpooled connection: for <c>csr heal status</c> beside a running gateway, which must neither
    /// write (no schema check, no checkpoint) nor disturb the gateway's connections.
    /// </summary>
    public static async Task<long> CountHealQueueReadOnlyAsync(string path, CancellationToken ct)
    {
        SQLitePCL.Batteries_V2.Init();
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync(ct);
        await ExecAsync(connection, null, "PRAGMA busy_timeout=30000;", ct);
        await using var cmd = Command(connection, null, "SELECT COUNT(*) FROM heal_queue");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public Task ForgetHealAsync(HealRequest request, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        // Only the request that was handled: a fault reported again meanwhile (a newer time) stays queued.
        await ExecAsync(c, tx, "DELETE FROM heal_queue WHERE bucket=$b AND key=$k AND upload_id=$u AND part_number=$n AND queued_at<=$t", ct,
            ("$b", request.Bucket), ("$k", request.Key), ("$u", request.UploadId ?? ""), ("$n", request.IsPart ? request.PartNumber : 0),
            ("$t", request.QueuedAt.ToUnixTimeMilliseconds()));
        return true;
    }, ct);
}
