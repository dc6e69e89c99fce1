using Microsoft.Data.Sqlite;
using static CloudSecReq.Gateway.Metadata.Sqlite.SqliteEngine;

namespace CloudSecReq.Gateway.Metadata.Sqlite;

// Tenants, their users and access keys; every change bumps the catalog version.
internal sealed partial class SqliteMetadataStore
{
    public Task CreateTenantAsync(Tenant tenant, User root, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
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
        (await _engine.QueryAsync("SELECT id, name, account_id, created_at FROM tenants WHERE id=$id", ReadTenant, ct, ("$id", tenantId))).FirstOrDefault();

    public async Task<Tenant?> FindTenantByNameAsync(string name, CancellationToken ct) =>
        (await _engine.QueryAsync("SELECT id, name, account_id, created_at FROM tenants WHERE name=$n", ReadTenant, ct, ("$n", name))).FirstOrDefault();

    public async Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken ct) =>
        await _engine.QueryAsync("SELECT id, name, account_id, created_at FROM tenants ORDER BY name", ReadTenant, ct);

    public Task<bool> CreateUserAsync(User user, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
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
        (await _engine.QueryAsync("SELECT tenant_id, name, is_root, policy, created_at FROM users WHERE tenant_id=$t AND name=$n", ReadUser, ct,
            ("$t", tenantId), ("$n", name))).FirstOrDefault();

    public async Task<IReadOnlyList<User>> ListUsersAsync(string tenantId, CancellationToken ct) =>
        await _engine.QueryAsync("SELECT tenant_id, name, is_root, policy, created_at FROM users WHERE tenant_id=$t ORDER BY name", ReadUser, ct, ("$t", tenantId));

    public Task CreateAccessKeyAsync(AccessKey k, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        await ExecAsync(c, tx, "INSERT INTO access_keys(id, tenant_id, user_name, secret, active, created_at) VALUES($id, $t, $u, $s, $a, $c)", ct,
            ("$id", k.AccessKeyId), ("$t", k.TenantId), ("$u", k.UserName), ("$s", k.ProtectedSecret), ("$a", k.Active ? 1 : 0), ("$c", Ms(k.CreatedAt)));
        return await BumpCatalogVersionAsync(c, tx, ct);
    }, ct);

    private static AccessKey ReadAccessKey(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), (byte[])r.GetValue(3), r.GetInt64(4) != 0, Time(r.GetInt64(5)));

    public async Task<AccessKey?> GetAccessKeyAsync(string accessKeyId, CancellationToken ct) =>
        (await _engine.QueryAsync("SELECT id, tenant_id, user_name, secret, active, created_at FROM access_keys WHERE id=$id", ReadAccessKey, ct, ("$id", accessKeyId))).FirstOrDefault();

    public async Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string tenantId, CancellationToken ct) =>
        await _engine.QueryAsync("SELECT id, tenant_id, user_name, secret, active, created_at FROM access_keys WHERE tenant_id=$t ORDER BY user_name, id", ReadAccessKey, ct, ("$t", tenantId));

    public Task<bool> SetAccessKeyActiveAsync(string accessKeyId, bool active, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        if (await ExecAsync(c, tx, "UPDATE access_keys SET active=$a WHERE id=$id", ct, ("$a", active ? 1 : 0), ("$id", accessKeyId)) == 0)
        {
            return false;
        }
        await BumpCatalogVersionAsync(c, tx, ct);
        return true;
    }, ct);

    public Task<bool> DeleteAccessKeyAsync(string accessKeyId, CancellationToken ct) => _engine.WriteAsync(async (c, tx) =>
    {
        if (await ExecAsync(c, tx, "DELETE FROM access_keys WHERE id=$id", ct, ("$id", accessKeyId)) == 0)
        {
            return false;
        }
        await BumpCatalogVersionAsync(c, tx, ct);
        return true;
    }, ct);

    public Task<IReadOnlyList<string>?> DeleteUserAsync(string tenantId, string name, CancellationToken ct) => _engine.WriteAsync<IReadOnlyList<string>?>(async (c, tx) =>
    {
        var keys = await KeyIdsAsync(c, tx, "SELECT id FROM access_keys WHERE tenant_id=$t AND user_name=$n", ct, ("$t", tenantId), ("$n", name));
        if (await ExecAsync(c, tx, "DELETE FROM users WHERE tenant_id=$t AND name=$n", ct, ("$t", tenantId), ("$n", name)) == 0)
        {
            return null;
        }
        await ExecAsync(c, tx, "DELETE FROM access_keys WHERE tenant_id=$t AND user_name=$n", ct, ("$t", tenantId), ("$n", name));
        await BumpCatalogVersionAsync(c, tx, ct);
        return keys;
    }, ct);

    public Task<IReadOnlyList<string>?> DeleteTenantIfEmptyAsync(string tenantId, CancellationToken ct) => _engine.WriteAsync<IReadOnlyList<string>?>(async (c, tx) =>
    {
        await using var check = Command(c, tx, "SELECT 1 FROM buckets WHERE tenant_id=$t LIMIT 1", ("$t", tenantId));
        if (await check.ExecuteScalarAsync(ct) is not null)
        {
            return null;
        }
        var keys = await KeyIdsAsync(c, tx, "SELECT id FROM access_keys WHERE tenant_id=$t", ct, ("$t", tenantId));
        await ExecAsync(c, tx, "DELETE FROM access_keys WHERE tenant_id=$t", ct, ("$t", tenantId));
        await ExecAsync(c, tx, "DELETE FROM users WHERE tenant_id=$t", ct, ("$t", tenantId));
        await ExecAsync(c, tx, "DELETE FROM tenants WHERE id=$t", ct, ("$t", tenantId));
        await BumpCatalogVersionAsync(c, tx, ct);
        return keys;
    }, ct);

    private static async Task<IReadOnlyList<string>> KeyIdsAsync(SqliteConnection c, SqliteTransaction tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var select = Command(c, tx, sql, args);
        await using var r = await select.ExecuteReaderAsync(ct);
        var ids = new List<string>();
        while (await r.ReadAsync(ct))
        {
            ids.Add(r.GetString(0));
        }
        return ids;
    }
}
