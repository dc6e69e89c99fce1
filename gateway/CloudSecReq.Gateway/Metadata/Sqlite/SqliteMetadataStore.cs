using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

/// <summary>
/// The embedded metadata engine: one SQLite file in WAL mode with <c>secure_delete</c> on (so that
/// deleted rows are overwritten, not left in free pages) and <c>synchronous=FULL</c> (a commit is
/// durable before the client hears 200). Keys compare as UTF-8 bytes, which is S3's listing order.
/// </summary>
internal sealed class SqliteMetadataStore : IMetadataStore
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.General);
    private readonly string _connectionString;
    // Group commit: writes queue here and one writer runs every queued write in one transaction (each
    // under its own savepoint, so one failing write fails alone) and commits them with one fsync.
    // One writer also spares SQLite's busy retries, which sleep for whole intervals. Other processes
    // (csr admin commands) still meet busy_timeout.
    private const int MaxWritesPerCommit = 256;
    private readonly Channel<QueuedWrite> _writes = Channel.CreateUnbounded<QueuedWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _writerLock = new();
    private Task? _writer;

    private sealed class QueuedWrite(Func<SqliteConnection, SqliteTransaction, Task> run)
    {
        public Func<SqliteConnection, SqliteTransaction, Task> Run { get; } = run;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private SqliteMetadataStore(string connectionString) => _connectionString = connectionString;

    /// <summary>Opens (creating if needed) the database file at <paramref name="path"/>.</summary>
    public static async Task<SqliteMetadataStore> OpenAsync(string path, CancellationToken ct)
    {
        SQLitePCL.Batteries_V2.Init();
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Cache = SqliteCacheMode.Private, Pooling = true };
        var store = new SqliteMetadataStore(builder.ToString());
        await using var connection = await store.OpenConnectionAsync(ct);
        await ExecAsync(connection, null, "PRAGMA journal_mode=WAL;", ct);
        await ExecAsync(connection, null, Schema, ct);
        await MigrateAsync(connection, ct);
        return store;
    }

    private const string Schema = """
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

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await ExecAsync(connection, null, "PRAGMA secure_delete=ON; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;", ct);
        return connection;
    }

    private static async Task<int> ExecAsync(SqliteConnection c, SqliteTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken ct, params (string, object?)[] args)
    {
        var connection = _readers.TryDequeue(out var idle) ? idle : new ReadConnection(await OpenConnectionAsync(ct));
        var reusable = false;
        try
        {
            var cmd = connection.Prepared(sql);
            cmd.Parameters.Clear();
            foreach (var (name, value) in args)
            {
                cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }
            var list = new List<T>();
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    list.Add(map(reader));
                }
            }
            reusable = true;
            return list;
        }
        finally
        {
            if (reusable && _readers.Count < MaxIdleReaders)
            {
                _readers.Enqueue(connection);
            }
            else
            {
                connection.Dispose();
            }
        }
    }

    // Reads run on connections opened once (their pragmas set once) and kept with their prepared
    // statements: a GET's two lookups cost no open, no pragma and no SQL parse.
    private const int MaxIdleReaders = 16;
    private readonly System.Collections.Concurrent.ConcurrentQueue<ReadConnection> _readers = new();

    private sealed class ReadConnection(SqliteConnection connection) : IDisposable
    {
        private const int MaxStatements = 64;
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        public SqliteCommand Prepared(string sql)
        {
            if (_commands.TryGetValue(sql, out var cmd))
            {
                return cmd;
            }
            if (_commands.Count >= MaxStatements)
            {
                // Listing queries vary with their arguments; keep the cache bounded.
                foreach (var old in _commands.Values)
                {
                    old.Dispose();
                }
                _commands.Clear();
            }
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            _commands[sql] = cmd;
            return cmd;
        }

        public void Dispose()
        {
            foreach (var cmd in _commands.Values)
            {
                cmd.Dispose();
            }
            connection.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction (BEGIN IMMEDIATE) and returns once it is
    /// committed (durable: synchronous=FULL). Concurrent writes share a transaction and its fsync
    /// (group commit); each runs under its own savepoint, so a write that throws is rolled back
    /// alone and its exception reaches only its caller.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        T result = default!;
        var write = new QueuedWrite(async (c, tx) => result = await work(c, tx));
        lock (_writerLock)
        {
            _writer ??= StartWriter();
        }
        await _writes.Writer.WriteAsync(write, ct);
        await write.Done.Task;
        return result;
    }

    // The writer blocks in SQLite (statements, the commit's fsync) without pause while writes queue:
    // on a thread-pool thread it would hold one of the pool's few threads (two on a 2-core machine)
    // and starve requests until the pool grows, which it does only every half second or so.
    private Task StartWriter()
    {
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                RunWriter();
                exited.SetResult();
            }
            catch (Exception e)
            {
                exited.SetException(e);
            }
        })
        { IsBackground = true, Name = "metadata-writer" }.Start();
        return exited.Task;
    }

    private void RunWriter()
    {
        SqliteConnection? connection = null;
        var batch = new List<QueuedWrite>(MaxWritesPerCommit);
        var succeeded = new List<QueuedWrite>(MaxWritesPerCommit);
        while (_writes.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            succeeded.Clear();
            while (batch.Count < MaxWritesPerCommit && _writes.Reader.TryRead(out var queued))
            {
                batch.Add(queued);
            }
            try
            {
                connection ??= OpenConnectionAsync(CancellationToken.None).GetAwaiter().GetResult();
                using var tx = connection.BeginTransaction(deferred: false);
                foreach (var write in batch)
                {
                    tx.Save("w");
                    try
                    {
                        // The writes run SQLite statements only, which complete synchronously.
                        write.Run(connection, tx).GetAwaiter().GetResult();
                        tx.Release("w");
                        succeeded.Add(write);
                    }
                    catch (Exception e) when (e is not SqliteException { SqliteErrorCode: 10 or 11 or 13 }) // not IOERR, CORRUPT, FULL: those fail the batch
                    {
                        tx.Rollback("w");
                        tx.Release("w");
                        write.Done.TrySetException(e);
                    }
                }
                tx.Commit();
                foreach (var write in succeeded)
                {
                    write.Done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                foreach (var write in batch)
                {
                    write.Done.TrySetException(e);
                }
                connection?.Dispose();
                connection = null;
            }
        }
        connection?.Dispose();
    }

    /// <summary>In the transaction of every change to tenants, users, access keys or buckets.</summary>
    private static Task<int> BumpCatalogVersionAsync(SqliteConnection c, SqliteTransaction tx, CancellationToken ct) =>
        ExecAsync(c, tx, "INSERT INTO catalog_version(id, version) VALUES(1, 1) ON CONFLICT(id) DO UPDATE SET version=version+1", ct);

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    private static string Json<T>(T value) => JsonSerializer.Serialize(value, s_json);
    private static T FromJson<T>(string json) => JsonSerializer.Deserialize<T>(json, s_json)!;

    // ---- tenants, users, access keys ----

    public Task CreateTenantAsync(Tenant tenant, User root, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await ExecAsync(c, tx, "INSERT INTO tenants(id, name, account_id, created_at) VALUES($id, $name, $acct, $t)", ct,
            ("$id", tenant.Id), ("$name", tenant.Name), ("$acct", tenant.AccountId), ("$t", Ms(tenant.CreatedAt)));
        await InsertUserAsync(c, tx, root, ct);
        await BumpCatalogVersionAsync(c, tx, ct);
        return true;
    }, ct);

    private static Task<int> InsertUserAsync(SqliteConnection c, SqliteTransaction tx, User user, CancellationToken ct) =>
        ExecAsync(c, tx, "INSERT INTO users(tenant_id, name, is_root, policy, created_at) VALUES($t, $n, $r, $p, $c)", ct,
            ("$t", user.TenantId), ("$n", user.Name), ("$r", user.IsRoot ? 1 : 0), ("$p", Json(user.Policy)), ("$c", Ms(user.CreatedAt)));

    private static Tenant ReadTenant(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), Time(r.GetInt64(3)));

    public async Task<Tenant?> GetTenantAsync(string tenantId, CancellationToken ct) =>
        (await QueryAsync("SELECT id, name, account_id, created_at FROM tenants WHERE id=$id", ReadTenant, ct, ("$id", tenantId))).FirstOrDefault();

    public async Task<Tenant?> FindTenantByNameAsync(string name, CancellationToken ct) =>
        (await QueryAsync("SELECT id, name, account_id, created_at FROM tenants WHERE name=$n", ReadTenant, ct, ("$n", name))).FirstOrDefault();

    public async Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken ct) =>
        await QueryAsync("SELECT id, name, account_id, created_at FROM tenants ORDER BY name", ReadTenant, ct);

    public Task<bool> CreateUserAsync(User user, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var check = Command(c, tx, "SELECT 1 FROM users WHERE tenant_id=$t AND name=$n", ("$t", user.TenantId), ("$n", user.Name));
        if (await check.ExecuteScalarAsync(ct) is not null)
        {
            return false;
        }
        await InsertUserAsync(c, tx, user, ct);
        await BumpCatalogVersionAsync(c, tx, ct);
        return true;
    }, ct);

    private static User ReadUser(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, FromJson<UserPolicy>(r.GetString(3)), Time(r.GetInt64(4)));

    public async Task<User?> GetUserAsync(string tenantId, string name, CancellationToken ct) =>
        (await QueryAsync("SELECT tenant_id, name, is_root, policy, created_at FROM users WHERE tenant_id=$t AND name=$n", ReadUser, ct,
            ("$t", tenantId), ("$n", name))).FirstOrDefault();

    public async Task<IReadOnlyList<User>> ListUsersAsync(string tenantId, CancellationToken ct) =>
        await QueryAsync("SELECT tenant_id, name, is_root, policy, created_at FROM users WHERE tenant_id=$t ORDER BY name", ReadUser, ct, ("$t", tenantId));

    public Task CreateAccessKeyAsync(AccessKey k, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await ExecAsync(c, tx, "INSERT INTO access_keys(id, tenant_id, user_name, secret, active, created_at) VALUES($id, $t, $u, $s, $a, $c)", ct,
            ("$id", k.AccessKeyId), ("$t", k.TenantId), ("$u", k.UserName), ("$s", k.ProtectedSecret), ("$a", k.Active ? 1 : 0), ("$c", Ms(k.CreatedAt)));
        return await BumpCatalogVersionAsync(c, tx, ct);
    }, ct);

    private static AccessKey ReadAccessKey(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), (byte[])r.GetValue(3), r.GetInt64(4) != 0, Time(r.GetInt64(5)));

    public async Task<AccessKey?> GetAccessKeyAsync(string accessKeyId, CancellationToken ct) =>
        (await QueryAsync("SELECT id, tenant_id, user_name, secret, active, created_at FROM access_keys WHERE id=$id", ReadAccessKey, ct, ("$id", accessKeyId))).FirstOrDefault();

    public async Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string tenantId, CancellationToken ct) =>
        await QueryAsync("SELECT id, tenant_id, user_name, secret, active, created_at FROM access_keys WHERE tenant_id=$t ORDER BY user_name, id", ReadAccessKey, ct, ("$t", tenantId));

    // ---- buckets ----

    public Task<BucketCreateResult> CreateBucketAsync(Bucket bucket, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var check = Command(c, tx, "SELECT tenant_id FROM buckets WHERE name=$n", ("$n", bucket.Name));
        if (await check.ExecuteScalarAsync(ct) is string owner)
        {
            return owner == bucket.TenantId ? BucketCreateResult.AlreadyOwnedByYou : BucketCreateResult.AlreadyExists;
        }
        await ExecAsync(c, tx, "INSERT INTO buckets(name, tenant_id, region, created_at, encryption) VALUES($n, $t, $r, $c, $e)", ct,
            ("$n", bucket.Name), ("$t", bucket.TenantId), ("$r", bucket.Region), ("$c", Ms(bucket.CreatedAt)),
            ("$e", bucket.Encryption is null ? null : Json(bucket.Encryption)));
        await BumpCatalogVersionAsync(c, tx, ct);
        return BucketCreateResult.Created;
    }, ct);

    private static Bucket ReadBucket(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), Time(r.GetInt64(3)))
    {
        Encryption = r.IsDBNull(4) ? null : FromJson<BucketEncryption>(r.GetString(4)),
    };

    public async Task<Bucket?> GetBucketAsync(string name, CancellationToken ct) =>
        (await QueryAsync("SELECT name, tenant_id, region, created_at, encryption FROM buckets WHERE name=$n", ReadBucket, ct, ("$n", name))).FirstOrDefault();

    public async Task<IReadOnlyList<Bucket>> ListBucketsAsync(string tenantId, CancellationToken ct) =>
        await QueryAsync("SELECT name, tenant_id, region, created_at, encryption FROM buckets WHERE tenant_id=$t ORDER BY name", ReadBucket, ct, ("$t", tenantId));

    public Task<bool> SetBucketEncryptionAsync(string name, BucketEncryption? encryption, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        if (await ExecAsync(c, tx, "UPDATE buckets SET encryption=$e WHERE name=$n", ct, ("$n", name), ("$e", encryption is null ? null : Json(encryption))) != 1)
        {
            return false;
        }
        await BumpCatalogVersionAsync(c, tx, ct);
        return true;
    }, ct);

    public Task<bool> DeleteBucketAsync(string name, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await using var check = Command(c, tx, "SELECT 1 FROM objects WHERE bucket=$b LIMIT 1", ("$b", name));
        if (await check.ExecuteScalarAsync(ct) is not null)
        {
            return false;
        }
        await using (var uploads = Command(c, tx, "SELECT upload_id FROM uploads WHERE bucket=$b", ("$b", name)))
        await using (var reader = await uploads.ExecuteReaderAsync(ct))
        {
            var ids = new List<string>();
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetString(0));
            }
            await reader.DisposeAsync();
            foreach (var id in ids)
            {
                await DropUploadAsync(c, tx, id, keep: null, ct);
            }
        }
        await ExecAsync(c, tx, "DELETE FROM buckets WHERE name=$b", ct, ("$b", name));
        await BumpCatalogVersionAsync(c, tx, ct);
        return true;
    }, ct);

    // ---- objects ----

    public async Task<ObjectRecord?> GetObjectAsync(string bucket, string key, CancellationToken ct) =>
        (await QueryAsync("SELECT props FROM objects WHERE bucket=$b AND key=$k", r => FromJson<ObjectRecord>(r.GetString(0)), ct,
            ("$b", bucket), ("$k", key))).FirstOrDefault();

    public Task<bool> PutObjectAsync(ObjectRecord record, CancellationToken ct) => WriteAsync((c, tx) => ReplaceObjectAsync(c, tx, record, ct), ct);

    public Task<WriteOutcome> PutObjectIfAsync(ObjectRecord record, ObjectWriteCondition condition, CancellationToken ct) => WriteAsync(async (c, tx) =>
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

    public Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken ct) => WriteAsync(async (c, tx) =>
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

    public Task<bool> SwapSegmentAsync(string bucket, string key, DataSegment expected, DataSegment replacement, CancellationToken ct) => WriteAsync(async (c, tx) =>
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

    public Task<bool> ReplaceObjectIfUnchangedAsync(ObjectRecord expected, ObjectRecord replacement, CancellationToken ct) => WriteAsync(async (c, tx) =>
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
        var rows = await QueryAsync(sql.ToString(), r => FromJson<ObjectRecord>(r.GetString(0)), ct, args.ToArray());
        return Page(rows, limit);
    }

    public async Task<IReadOnlyList<(string Bucket, string Key)>> ListObjectsByKmsKeyAsync(string keyArn, int limit, CancellationToken ct) =>
        await QueryAsync("SELECT bucket, key FROM objects WHERE kms_key_arn=$a ORDER BY bucket, key LIMIT $l", r => (r.GetString(0), r.GetString(1)), ct,
            ("$a", keyArn), ("$l", limit));

    /// <summary>Keys that start with <paramref name="prefix"/>, as an index range scan.</summary>
    private static void AppendPrefixRange(StringBuilder sql, List<(string, object?)> args, string prefix)
    {
        if (prefix.Length == 0)
        {
            return;
        }
        sql.Append(" AND key >= $prefix");
        args.Add(("$prefix", prefix));
        if (KeyOrder.PrefixUpperBound(prefix) is { } upper)
        {
            sql.Append(" AND key < $upper");
            args.Add(("$upper", upper));
        }
    }

    /// <summary>A page from a query that asked for one row more than <paramref name="limit"/> to learn whether more follow.</summary>
    private static ListPage<T> Page<T>(List<T> rows, int limit)
    {
        var truncated = rows.Count > limit;
        if (truncated)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return new ListPage<T>(rows, truncated);
    }

    // ---- multipart ----

    public Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct) => WriteAsync(async (c, tx) =>
        await ExecAsync(c, tx, "INSERT INTO uploads(upload_id, bucket, key, props) VALUES($u, $b, $k, $p)", ct,
            ("$u", upload.UploadId), ("$b", upload.Bucket), ("$k", upload.Key), ("$p", Json(upload))), ct);

    public async Task<MultipartUpload?> GetUploadAsync(string bucket, string uploadId, CancellationToken ct) =>
        (await QueryAsync("SELECT props FROM uploads WHERE upload_id=$u AND bucket=$b", r => FromJson<MultipartUpload>(r.GetString(0)), ct,
            ("$u", uploadId), ("$b", bucket))).FirstOrDefault();

    public Task<bool> PutPartAsync(UploadPart part, CancellationToken ct) => WriteAsync(async (c, tx) =>
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

    public Task<bool> SwapPartSegmentAsync(string uploadId, int partNumber, DataSegment expected, DataSegment replacement, CancellationToken ct) => WriteAsync(async (c, tx) =>
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
        var rows = await QueryAsync("SELECT props FROM parts WHERE upload_id=$u AND part_number > $m ORDER BY part_number LIMIT $l",
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
        var rows = await QueryAsync(sql.ToString(), r => FromJson<MultipartUpload>(r.GetString(0)), ct, args.ToArray());
        return Page(rows, limit);
    }

    public Task<WriteOutcome> CompleteUploadAsync(string uploadId, ObjectRecord record, ObjectWriteCondition condition, CancellationToken ct) => WriteAsync(async (c, tx) =>
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

    public Task<bool> AbortUploadAsync(string bucket, string uploadId, CancellationToken ct) => WriteAsync(async (c, tx) =>
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

    // ---- garbage ----

    public async Task<IReadOnlyList<ShardBlob>> ListGarbageAsync(int limit, CancellationToken ct) =>
        await QueryAsync("SELECT volume_id, blob_id FROM garbage LIMIT $l", r => new ShardBlob(r.GetString(0), r.GetString(1)), ct, ("$l", limit));

    public Task ForgetGarbageAsync(IReadOnlyList<ShardBlob> blobs, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        foreach (var s in blobs)
        {
            await ExecAsync(c, tx, "DELETE FROM garbage WHERE volume_id=$v AND blob_id=$b", ct, ("$v", s.VolumeId), ("$b", s.BlobId));
        }
        return true;
    }, ct);

    public async Task<IReadOnlyList<ManifestCopy>> ListManifestGarbageAsync(int limit, CancellationToken ct) =>
        await QueryAsync("SELECT volume_id, segment, offset, length FROM manifest_garbage LIMIT $l",
            r => new ManifestCopy(r.GetString(0), new Storage.LogExtent(r.GetString(1), r.GetInt64(2), r.GetInt32(3))), ct, ("$l", limit));

    public Task ForgetManifestGarbageAsync(IReadOnlyList<ManifestCopy> copies, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        foreach (var m in copies)
        {
            await ExecAsync(c, tx, "DELETE FROM manifest_garbage WHERE volume_id=$v AND segment=$s AND offset=$o", ct,
                ("$v", m.VolumeId), ("$s", m.Extent.Segment), ("$o", m.Extent.Offset));
        }
        return true;
    }, ct);

    public Task QueueGarbageAsync(IReadOnlyList<DataSegment> segments, IReadOnlyList<ManifestCopy> manifests, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await AddGarbageAsync(c, tx, segments, ct);
        await AddManifestGarbageAsync(c, tx, manifests, ct);
        return true;
    }, ct);

    // ---- catalog ----

    public async Task<long> GetCatalogVersionAsync(CancellationToken ct) =>
        (await QueryAsync("SELECT version FROM catalog_version WHERE id=1", r => r.GetInt64(0), ct)).FirstOrDefault();

    // ---- healing ----

    public Task QueueHealAsync(HealRequest request, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        await ExecAsync(c, tx, "INSERT INTO heal_queue(bucket, key, upload_id, part_number, reason, queued_at) VALUES($b, $k, $u, $n, $r, $t) " +
            "ON CONFLICT(bucket, key, upload_id, part_number) DO UPDATE SET reason=excluded.reason, queued_at=excluded.queued_at", ct,
            ("$b", request.Bucket), ("$k", request.Key), ("$u", request.UploadId ?? ""), ("$n", request.IsPart ? request.PartNumber : 0),
            ("$r", request.Reason), ("$t", request.QueuedAt.ToUnixTimeMilliseconds()));
        return true;
    }, ct);

    public async Task<IReadOnlyList<HealRequest>> ListHealQueueAsync(int limit, CancellationToken ct) =>
        await QueryAsync("SELECT bucket, key, reason, queued_at, upload_id, part_number FROM heal_queue ORDER BY queued_at LIMIT $l",
            r => new HealRequest(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
                r.GetString(4) is { Length: > 0 } uploadId ? uploadId : null, r.GetInt32(5)), ct, ("$l", limit));

    public async Task<long> CountHealQueueAsync(CancellationToken ct) =>
        (await QueryAsync("SELECT COUNT(*) FROM heal_queue", r => r.GetInt64(0), ct))[0];

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

    public Task ForgetHealAsync(HealRequest request, CancellationToken ct) => WriteAsync(async (c, tx) =>
    {
        // Only the request that was handled: a fault reported again meanwhile (a newer time) stays queued.
        await ExecAsync(c, tx, "DELETE FROM heal_queue WHERE bucket=$b AND key=$k AND upload_id=$u AND part_number=$n AND queued_at<=$t", ct,
            ("$b", request.Bucket), ("$k", request.Key), ("$u", request.UploadId ?? ""), ("$n", request.IsPart ? request.PartNumber : 0),
            ("$t", request.QueuedAt.ToUnixTimeMilliseconds()));
        return true;
    }, ct);

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        Task? writer;
        lock (_writerLock)
        {
            writer = _writer;
        }
        if (writer is not null)
        {
            await writer;
        }
        while (_readers.TryDequeue(out var reader))
        {
            reader.Dispose();
        }
        SqliteConnection.ClearAllPools();
    }
}
