using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace CloudSecReq.Kms.Keys;

/// Key metadata in its own SQLite file (WAL, secure_delete=ON). Holds no key material: only ids, states, dates,
/// policies, aliases, tags and key check values. One connection guarded by a lock; every public method is atomic.
/// Key and alias rows are cached in memory (see below). Thread safe.
internal sealed class KeyMetadataStore : IDisposable
{
    private static int s_sqliteInitialized;
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();

    // Write-through cache of key rows (this process is the only writer of its kms.db): the data-key path reads
    // key state on every call without touching SQLite, and, for a cached row, without waiting for _lock (held across
    // SQLite commits): the S3 path authorises every use of a cached bucket key here. Written only under _lock; entries
    // are never handed out or changed, only replaced, and readers get clones.
    private readonly ConcurrentDictionary<string, TenantKeyRecord> _keyCache = new(StringComparer.Ordinal);

    // The same for alias rows that exist (a miss is read again): resolving alias/aws/s3 on every SSE-S3 PUT, or an alias
    // named as SSE-KMS key id, costs no lock and no SQL once warm. Every alias write, and the cascade of DeleteKey,
    // replaces or drops entries under _lock.
    private readonly ConcurrentDictionary<(string TenantId, string AliasName), AliasRecord> _aliasCache = new();

    private long _queries;
    private long _lockEntries;

    public KeyMetadataStore(string path)
    {
        if (Interlocked.Exchange(ref s_sqliteInitialized, 1) == 0)
        {
            SQLitePCL.Batteries_V2.Init();
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _db.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA secure_delete=ON;");
        Execute("PRAGMA synchronous=FULL;");
        Execute("PRAGMA foreign_keys=ON;");
        Execute("""
            CREATE TABLE IF NOT EXISTS keys(
              key_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, description TEXT NOT NULL,
              origin TEXT NOT NULL, state TEXT NOT NULL, created INTEGER NOT NULL, deletion_date INTEGER,
              pending_window_days INTEGER, shredding INTEGER NOT NULL, rotation_enabled INTEGER NOT NULL,
              rotation_period_days INTEGER, next_rotation INTEGER, policy TEXT NOT NULL, current_version INTEGER NOT NULL,
              valid_to INTEGER, import_kcv BLOB, has_imported_material INTEGER NOT NULL,
              key_manager TEXT NOT NULL DEFAULT 'CUSTOMER');
            CREATE INDEX IF NOT EXISTS keys_by_tenant ON keys(tenant_id);
            CREATE TABLE IF NOT EXISTS key_versions(
              key_id TEXT NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE, version INTEGER NOT NULL,
              created INTEGER NOT NULL, rotation_type TEXT, material_id TEXT NOT NULL, PRIMARY KEY(key_id, version));
            CREATE TABLE IF NOT EXISTS aliases(
              tenant_id TEXT NOT NULL, alias_name TEXT NOT NULL,
              key_id TEXT NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE,
              created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY(tenant_id, alias_name));
            CREATE TABLE IF NOT EXISTS tags(
              key_id TEXT NOT NULL REFERENCES keys(key_id) ON DELETE CASCADE, tag_key TEXT NOT NULL,
              tag_value TEXT NOT NULL, PRIMARY KEY(key_id, tag_key));
            CREATE TABLE IF NOT EXISTS wrapping_keys(
              label TEXT PRIMARY KEY, key_id TEXT NOT NULL, expires INTEGER NOT NULL);
            """);
        MarkAwsManagedKeys();
    }

    // kms.db files from before key_manager existed get the column, and the keys behind reserved alias/aws/ names (which
    // only EnsureManagedKey can create, and nobody can delete or move) are marked AWS managed. Idempotent.
    private void MarkAwsManagedKeys()
    {
        if (Scalar("SELECT COUNT(*) FROM pragma_table_info('keys') WHERE name = 'key_manager'", null) is long n && n == 0)
        {
            Execute("ALTER TABLE keys ADD COLUMN key_manager TEXT NOT NULL DEFAULT 'CUSTOMER';");
        }

        Execute("""
            UPDATE keys SET key_manager = 'AWS' WHERE key_manager <> 'AWS'
              AND key_id IN (SELECT key_id FROM aliases WHERE substr(alias_name, 1, 10) = 'alias/aws/');
            """);
    }

    /// SQL statements run so far (tests check that warm hot paths run none).
    internal long Queries => Interlocked.Read(ref _queries);

    /// Times the store lock was taken so far (tests check that warm hot paths take none).
    internal long LockEntries => Interlocked.Read(ref _lockEntries);

    public void Dispose()
    {
        using (Locked())
        {
            _db.Dispose();
        }
    }

    public void InsertKey(TenantKeyRecord key, KeyVersionRecord? firstVersion, IReadOnlyDictionary<string, string> tags)
    {
        using (Locked())
        {
            using var tx = _db.BeginTransaction();
            WriteKey(key, insert: true, tx);
            if (firstVersion is not null)
            {
                WriteVersion(firstVersion, tx);
            }

            foreach (var (k, v) in tags)
            {
                NonQuery("INSERT OR REPLACE INTO tags(key_id, tag_key, tag_value) VALUES($k, $t, $v)", tx,
                    ("$k", key.KeyId), ("$t", k), ("$v", v));
            }

            tx.Commit();
            _keyCache[key.KeyId] = key.Clone();
        }
    }

    public void UpdateKey(TenantKeyRecord key, KeyVersionRecord? newVersion = null)
    {
        using (Locked())
        {
            using var tx = _db.BeginTransaction();
            WriteKey(key, insert: false, tx);
            if (newVersion is not null)
            {
                WriteVersion(newVersion, tx);
            }

            tx.Commit();
            _keyCache[key.KeyId] = key.Clone();
        }
    }

    public TenantKeyRecord? GetKey(string keyId)
    {
        if (_keyCache.TryGetValue(keyId, out var hit))
        {
            return hit.Clone();
        }

        using (Locked())
        {
            if (_keyCache.TryGetValue(keyId, out var cached))
            {
                return cached.Clone();
            }

            using var command = Command("SELECT * FROM keys WHERE key_id = $k", null, ("$k", keyId));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var key = ReadKey(reader);
            _keyCache[keyId] = key.Clone();
            return key;
        }
    }

    public List<TenantKeyRecord> ListKeys(string? tenantId)
    {
        using (Locked())
        {
            using var command = tenantId is null
                ? Command("SELECT * FROM keys ORDER BY key_id", null)
                : Command("SELECT * FROM keys WHERE tenant_id = $t ORDER BY key_id", null, ("$t", tenantId));
            using var reader = command.ExecuteReader();
            var list = new List<TenantKeyRecord>();
            while (reader.Read())
            {
                list.Add(ReadKey(reader));
            }

            return list;
        }
    }

    /// Removes the key and everything hanging off it (versions, aliases, tags, wrapping key rows).
    public void DeleteKey(string keyId)
    {
        using (Locked())
        {
            using var tx = _db.BeginTransaction();
            NonQuery("DELETE FROM wrapping_keys WHERE key_id = $k", tx, ("$k", keyId));
            NonQuery("DELETE FROM keys WHERE key_id = $k", tx, ("$k", keyId));
            tx.Commit();
            _keyCache.TryRemove(keyId, out _);
            foreach (var (name, alias) in _aliasCache)
            {
                if (alias.KeyId == keyId)
                {
                    _aliasCache.TryRemove(name, out _);
                }
            }
        }
    }

    public List<KeyVersionRecord> ListVersions(string keyId)
    {
        using (Locked())
        {
            using var command = Command("SELECT * FROM key_versions WHERE key_id = $k ORDER BY version", null, ("$k", keyId));
            using var reader = command.ExecuteReader();
            var list = new List<KeyVersionRecord>();
            while (reader.Read())
            {
                list.Add(new KeyVersionRecord(
                    reader.GetString(0), reader.GetInt32(1), FromMs(reader.GetInt64(2)),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4)));
            }

            return list;
        }
    }

    public AliasRecord? GetAlias(string tenantId, string aliasName)
    {
        if (_aliasCache.TryGetValue((tenantId, aliasName), out var hit))
        {
            return hit;
        }

        using (Locked())
        {
            if (_aliasCache.TryGetValue((tenantId, aliasName), out var cached))
            {
                return cached;
            }

            using var command = Command("SELECT * FROM aliases WHERE tenant_id = $t AND alias_name = $a", null,
                ("$t", tenantId), ("$a", aliasName));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var alias = ReadAlias(reader);
            _aliasCache[(tenantId, aliasName)] = alias;
            return alias;
        }
    }

    /// Inserts an alias; false if the name is taken in this tenant.
    public bool InsertAlias(AliasRecord alias)
    {
        using (Locked())
        {
            var inserted = NonQuery("INSERT OR IGNORE INTO aliases VALUES($t, $a, $k, $c, $u)", null,
                ("$t", alias.TenantId), ("$a", alias.AliasName), ("$k", alias.KeyId),
                ("$c", ToMs(alias.Created)), ("$u", ToMs(alias.Updated))) == 1;
            if (inserted)
            {
                _aliasCache[(alias.TenantId, alias.AliasName)] = alias;
            }

            return inserted;
        }
    }

    public bool UpdateAlias(string tenantId, string aliasName, string keyId, DateTimeOffset updated)
    {
        using (Locked())
        {
            _aliasCache.TryRemove((tenantId, aliasName), out _);
            return NonQuery("UPDATE aliases SET key_id = $k, updated = $u WHERE tenant_id = $t AND alias_name = $a", null,
                ("$t", tenantId), ("$a", aliasName), ("$k", keyId), ("$u", ToMs(updated))) == 1;
        }
    }

    public bool DeleteAlias(string tenantId, string aliasName)
    {
        using (Locked())
        {
            _aliasCache.TryRemove((tenantId, aliasName), out _);
            return NonQuery("DELETE FROM aliases WHERE tenant_id = $t AND alias_name = $a", null,
                ("$t", tenantId), ("$a", aliasName)) == 1;
        }
    }

    public List<AliasRecord> ListAliases(string tenantId)
    {
        using (Locked())
        {
            using var command = Command("SELECT * FROM aliases WHERE tenant_id = $t ORDER BY alias_name", null, ("$t", tenantId));
            using var reader = command.ExecuteReader();
            var list = new List<AliasRecord>();
            while (reader.Read())
            {
                list.Add(ReadAlias(reader));
            }

            return list;
        }
    }

    public void SetTags(string keyId, IReadOnlyDictionary<string, string> tags)
    {
        using (Locked())
        {
            using var tx = _db.BeginTransaction();
            foreach (var (k, v) in tags)
            {
                NonQuery("INSERT OR REPLACE INTO tags(key_id, tag_key, tag_value) VALUES($k, $t, $v)", tx,
                    ("$k", keyId), ("$t", k), ("$v", v));
            }

            tx.Commit();
        }
    }

    public void RemoveTags(string keyId, IEnumerable<string> tagKeys)
    {
        using (Locked())
        {
            using var tx = _db.BeginTransaction();
            foreach (var k in tagKeys)
            {
                NonQuery("DELETE FROM tags WHERE key_id = $k AND tag_key = $t", tx, ("$k", keyId), ("$t", k));
            }

            tx.Commit();
        }
    }

    public List<(string Key, string Value)> ListTags(string keyId)
    {
        using (Locked())
        {
            using var command = Command("SELECT tag_key, tag_value FROM tags WHERE key_id = $k ORDER BY tag_key", null, ("$k", keyId));
            using var reader = command.ExecuteReader();
            var list = new List<(string, string)>();
            while (reader.Read())
            {
                list.Add((reader.GetString(0), reader.GetString(1)));
            }

            return list;
        }
    }

    public void AddWrappingKey(string label, string keyId, DateTimeOffset expires)
    {
        using (Locked())
        {
            NonQuery("INSERT OR REPLACE INTO wrapping_keys VALUES($l, $k, $e)", null,
                ("$l", label), ("$k", keyId), ("$e", ToMs(expires)));
        }
    }

    public bool HasWrappingKey(string label)
    {
        using (Locked())
        {
            return Scalar("SELECT COUNT(*) FROM wrapping_keys WHERE label = $l", null, ("$l", label)) is long n && n > 0;
        }
    }

    /// Wrapping key labels expired at <paramref name="expiredAt"/>, or all of one key when <paramref name="keyId"/> is set.
    public List<string> ListWrappingKeys(DateTimeOffset? expiredAt, string? keyId)
    {
        using (Locked())
        {
            using var command = keyId is not null
                ? Command("SELECT label FROM wrapping_keys WHERE key_id = $k", null, ("$k", keyId))
                : Command("SELECT label FROM wrapping_keys WHERE expires <= $e", null, ("$e", ToMs(expiredAt ?? DateTimeOffset.MaxValue)));
            using var reader = command.ExecuteReader();
            var list = new List<string>();
            while (reader.Read())
            {
                list.Add(reader.GetString(0));
            }

            return list;
        }
    }

    public void RemoveWrappingKey(string label)
    {
        using (Locked())
        {
            NonQuery("DELETE FROM wrapping_keys WHERE label = $l", null, ("$l", label));
        }
    }

    private void WriteKey(TenantKeyRecord k, bool insert, SqliteTransaction tx)
    {
        var sql = insert
            ? """
              INSERT INTO keys VALUES($key_id, $tenant_id, $account_id, $description, $origin, $state, $created,
                $deletion_date, $pending_window_days, $shredding, $rotation_enabled, $rotation_period_days, $next_rotation,
                $policy, $current_version, $valid_to, $import_kcv, $has_imported_material, $key_manager)
              """
            : """
              UPDATE keys SET description = $description, state = $state, deletion_date = $deletion_date,
                pending_window_days = $pending_window_days, shredding = $shredding, rotation_enabled = $rotation_enabled,
                rotation_period_days = $rotation_period_days, next_rotation = $next_rotation, policy = $policy,
                current_version = $current_version, valid_to = $valid_to, import_kcv = $import_kcv,
                has_imported_material = $has_imported_material
              WHERE key_id = $key_id AND tenant_id = $tenant_id AND account_id = $account_id AND origin = $origin AND created = $created
              """;
        var n = NonQuery(sql, tx,
            ("$key_id", k.KeyId), ("$tenant_id", k.TenantId), ("$account_id", k.AccountId), ("$description", k.Description),
            ("$origin", k.Origin.ToString()), ("$state", k.State.ToString()), ("$created", ToMs(k.Created)),
            ("$deletion_date", ToMs(k.DeletionDate)), ("$pending_window_days", k.PendingWindowDays),
            ("$shredding", k.Shredding ? 1 : 0), ("$rotation_enabled", k.RotationEnabled ? 1 : 0),
            ("$rotation_period_days", k.RotationPeriodDays), ("$next_rotation", ToMs(k.NextRotation)),
            ("$policy", k.Policy), ("$current_version", k.CurrentVersion), ("$valid_to", ToMs(k.ValidTo)),
            ("$import_kcv", k.ImportKcv), ("$has_imported_material", k.HasImportedMaterial ? 1 : 0),
            ("$key_manager", k.AwsManaged ? "AWS" : "CUSTOMER"));
        if (n != 1)
        {
            throw new InvalidOperationException($"Key metadata row {k.KeyId} was not written.");
        }
    }

    private void WriteVersion(KeyVersionRecord v, SqliteTransaction tx) =>
        NonQuery("INSERT INTO key_versions VALUES($k, $v, $c, $r, $m)", tx,
            ("$k", v.KeyId), ("$v", v.Version), ("$c", ToMs(v.Created)), ("$r", v.RotationType), ("$m", v.MaterialId));

    private static TenantKeyRecord ReadKey(SqliteDataReader r) => new()
    {
        KeyId = r.GetString(0),
        TenantId = r.GetString(1),
        AccountId = r.GetString(2),
        Description = r.GetString(3),
        Origin = Enum.Parse<KeyOrigin>(r.GetString(4)),
        State = Enum.Parse<KmsKeyState>(r.GetString(5)),
        Created = FromMs(r.GetInt64(6)),
        DeletionDate = r.IsDBNull(7) ? null : FromMs(r.GetInt64(7)),
        PendingWindowDays = r.IsDBNull(8) ? null : r.GetInt32(8),
        Shredding = r.GetInt64(9) != 0,
        RotationEnabled = r.GetInt64(10) != 0,
        RotationPeriodDays = r.IsDBNull(11) ? null : r.GetInt32(11),
        NextRotation = r.IsDBNull(12) ? null : FromMs(r.GetInt64(12)),
        Policy = r.GetString(13),
        CurrentVersion = r.GetInt32(14),
        ValidTo = r.IsDBNull(15) ? null : FromMs(r.GetInt64(15)),
        ImportKcv = r.IsDBNull(16) ? null : (byte[])r.GetValue(16),
        HasImportedMaterial = r.GetInt64(17) != 0,
        AwsManaged = r.GetString(18) == "AWS",
    };

    private static AliasRecord ReadAlias(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), FromMs(r.GetInt64(3)), FromMs(r.GetInt64(4)));

    private void Execute(string sql) => NonQuery(sql, null);

    private int NonQuery(string sql, SqliteTransaction? tx, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, tx, parameters);
        return command.ExecuteNonQuery();
    }

    private object? Scalar(string sql, SqliteTransaction? tx, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, tx, parameters);
        return command.ExecuteScalar();
    }

    private Lock.Scope Locked()
    {
        Interlocked.Increment(ref _lockEntries);
        return _lock.EnterScope();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx, params (string Name, object? Value)[] parameters)
    {
        Interlocked.Increment(ref _queries);
        var command = _db.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static long ToMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static long? ToMs(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
