using Microsoft.Data.Sqlite;
using static CloudSecReq.Gateway.Metadata.Sqlite.SqliteEngine;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

/// <summary>The tables of the metadata database and the migrations of databases that earlier versions made.</summary>
internal static class SqliteSchema
{
    /// <summary>Creates missing tables and indexes and migrates older ones; safe to run on every open.</summary>
    public static async Task CreateOrMigrateAsync(SqliteConnection c, CancellationToken ct)
    {
        await ExecAsync(c, null, Tables, ct);
        await MigrateAsync(c, ct);
    }

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS tenants(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS users(tenant_id TEXT NOT NULL, name TEXT NOT NULL, is_root INTEGER NOT NULL, policy TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY(tenant_id, name));
        CREATE TABLE IF NOT EXISTS access_keys(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, user_name TEXT NOT NULL, secret BLOB NOT NULL, active INTEGER NOT NULL, created_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS buckets(name TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, region TEXT NOT NULL, created_at INTEGER NOT NULL, encryption TEXT);
        CREATE INDEX IF NOT EXISTS buckets_by_tenant ON buckets(tenant_id, name);
        CREATE TABLE IF NOT EXISTS objects(bucket TEXT NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL, kms_key_arn TEXT, PRIMARY KEY(bucket, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS uploads(upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, upload_id);
        CREATE TABLE IF NOT EXISTS parts(upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, props TEXT NOT NULL, PRIMARY KEY(upload_id, part_number)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS heal_queue(bucket TEXT NOT NULL, key TEXT NOT NULL, upload_id TEXT NOT NULL DEFAULT '', part_number INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL, queued_at INTEGER NOT NULL, PRIMARY KEY(bucket, key, upload_id, part_number)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS garbage(volume_id TEXT NOT NULL, blob_id TEXT NOT NULL, length INTEGER NOT NULL, PRIMARY KEY(volume_id, blob_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS manifest_garbage(volume_id TEXT NOT NULL, segment TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL, PRIMARY KEY(volume_id, segment, offset)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS catalog_version(id INTEGER PRIMARY KEY CHECK(id = 1), version INTEGER NOT NULL);
        """;

    /// <summary>Adds columns that later versions introduced to databases made by earlier ones.</summary>
    private static async Task MigrateAsync(SqliteConnection c, CancellationToken ct)
    {
        async Task<bool> HasColumnAsync(string table, string column)
        {
            await using var cmd = Command(c, null, $"SELECT 1 FROM pragma_table_info('{table}') WHERE name=$c", ("$c", column));
            return await cmd.ExecuteScalarAsync(ct) is not null;
        }
        if (!await HasColumnAsync("buckets", "encryption"))
        {
            await ExecAsync(c, null, "ALTER TABLE buckets ADD COLUMN encryption TEXT", ct);
        }
        if (!await HasColumnAsync("objects", "kms_key_arn"))
        {
            await ExecAsync(c, null, "ALTER TABLE objects ADD COLUMN kms_key_arn TEXT", ct);
        }
        if (!await HasColumnAsync("heal_queue", "upload_id"))
        {
            // Issue 11: the queue names upload parts too, so its key grows; SQLite changes a primary key
            // only by copying the table. One transaction: a crash leaves the old table or the new one.
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
            await ExecAsync(c, tx, """
                CREATE TABLE heal_queue_v2(bucket TEXT NOT NULL, key TEXT NOT NULL, upload_id TEXT NOT NULL DEFAULT '', part_number INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL, queued_at INTEGER NOT NULL, PRIMARY KEY(bucket, key, upload_id, part_number)) WITHOUT ROWID;
                INSERT INTO heal_queue_v2(bucket, key, reason, queued_at) SELECT bucket, key, reason, queued_at FROM heal_queue;
                DROP TABLE heal_queue;
                ALTER TABLE heal_queue_v2 RENAME TO heal_queue;
                """, ct);
            await tx.CommitAsync(ct);
        }
        await ExecAsync(c, null, "CREATE INDEX IF NOT EXISTS objects_by_kms_key ON objects(kms_key_arn, bucket, key) WHERE kms_key_arn IS NOT NULL", ct);
    }
}
