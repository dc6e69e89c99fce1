using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Admin;

/// <summary>
/// The admin API's operations on tenants, users and access keys (docs/admin-api.md), called by
/// <see cref="AdminEndpoint"/> once the caller is an authenticated admin. Every change that takes
/// an access key out of use (disable, delete, rotate, deleting a user or an empty tenant) is committed
/// to the store first, then revoked in the tenants' signing key cache: the key is refused from the
/// next request on. Refusals are <see cref="AdminException"/>s. Thread-safe.
/// </summary>
internal sealed class AdminApi(IMetadataStore store, TenantService tenants, SigningKeyCache<Principal> tenantKeys)
{
    /// <summary>A response: status and the object written as JSON (null: no body).</summary>
    public sealed record Result(int Status, object? Body);

    /// <summary>Runs the operation named by <paramref name="method"/> and the path segments after <c>/admin/v1/</c>.</summary>
    public Task<Result> HandleAsync(string method, IReadOnlyList<string> path, byte[] body, CancellationToken ct) => (method, path) switch
    {
        ("GET", ["tenants"]) => ListTenantsAsync(ct),
        ("POST", ["tenants"]) => CreateTenantAsync(AdminJson.Read<CreateTenantInput>(body), ct),
        ("DELETE", ["tenants", var t]) => NoBody(body, () => DeleteTenantAsync(t, ct)),
        ("POST", ["tenants", var t, "disable"]) => NoBody(body, () => DisableTenantAsync(t, ct)),
        ("GET", ["tenants", var t, "users"]) => ListUsersAsync(t, ct),
        ("POST", ["tenants", var t, "users"]) => CreateUserAsync(t, AdminJson.Read<CreateUserInput>(body), ct),
        ("DELETE", ["tenants", var t, "users", var u]) => NoBody(body, () => DeleteUserAsync(t, u, ct)),
        ("POST", ["tenants", var t, "users", var u, "disable"]) => NoBody(body, () => DisableUserAsync(t, u, ct)),
        ("GET", ["tenants", var t, "access-keys"]) => ListAccessKeysAsync(t, ct),
        ("POST", ["tenants", var t, "users", var u, "access-keys"]) => NoBody(body, () => CreateAccessKeyAsync(t, u, ct)),
        ("POST", ["access-keys", var k, "disable"]) => NoBody(body, () => SetActiveAsync(k, false, ct)),
        ("POST", ["access-keys", var k, "enable"]) => NoBody(body, () => SetActiveAsync(k, true, ct)),
        ("DELETE", ["access-keys", var k]) => NoBody(body, () => DeleteAccessKeyAsync(k, ct)),
        ("POST", ["access-keys", var k, "rotate"]) => RotateAsync(k, AdminJson.Read<RotateAccessKeyInput>(body), ct),
        _ => throw new AdminException(AdminErrorCode.NoSuchOperation, $"No admin operation {method} /admin/v1/{string.Join('/', path)}."),
    };

    // Operations without a body refuse one: nothing is accepted and ignored.
    private static Task<Result> NoBody(byte[] body, Func<Task<Result>> operation) =>
        body.Length == 0 ? operation() : throw new AdminException(AdminErrorCode.MalformedJson, "This operation takes no request body.");

    private async Task<Result> ListTenantsAsync(CancellationToken ct)
    {
        var views = new List<TenantView>();
        foreach (var t in await store.ListTenantsAsync(ct))
        {
            var keys = await store.ListAccessKeysAsync(t.Id, ct);
            views.Add(new TenantView(t.Name, t.Id, t.AccountId, t.CreatedAt, (await store.ListUsersAsync(t.Id, ct)).Count, keys.Count, keys.Count(k => k.Active)));
        }
        return new Result(200, new { tenants = views });
    }

    private async Task<Result> CreateTenantAsync(CreateTenantInput input, CancellationToken ct)
    {
        if (await store.FindTenantByNameAsync(input.Name, ct) is not null)
        {
            throw new AdminException(AdminErrorCode.TenantAlreadyExists, $"A tenant named '{input.Name}' already exists.");
        }
        var created = await ValidatedAsync(() => tenants.CreateTenantAsync(input.Name, ct));
        var tenant = await TenantAsync(input.Name, ct);
        return new Result(201, new { tenant = new TenantView(tenant.Name, tenant.Id, tenant.AccountId, tenant.CreatedAt, 1, 1, 1), accessKey = View(created) });
    }

    private async Task<Result> DeleteTenantAsync(string name, CancellationToken ct)
    {
        var tenant = await TenantAsync(name, ct);
        var deleted = await store.DeleteTenantIfEmptyAsync(tenant.Id, ct)
            ?? throw new AdminException(AdminErrorCode.TenantNotEmpty, $"Tenant '{name}' still owns buckets; delete them (or offboard the tenant) first.");
        tenantKeys.Revoke(deleted);
        return new Result(200, new { deletedAccessKeys = deleted });
    }

    private async Task<Result> DisableTenantAsync(string name, CancellationToken ct)
    {
        var tenant = await TenantAsync(name, ct);
        return new Result(200, new { disabledAccessKeys = await DisableAsync(await store.ListAccessKeysAsync(tenant.Id, ct), ct) });
    }

    private async Task<Result> ListUsersAsync(string tenantName, CancellationToken ct)
    {
        var tenant = await TenantAsync(tenantName, ct);
        var keys = await store.ListAccessKeysAsync(tenant.Id, ct);
        var users = (await store.ListUsersAsync(tenant.Id, ct)).Select(u => new UserView(tenant.Name, u.Name, u.IsRoot, u.Policy.ReadOnly, u.Policy.Buckets, u.CreatedAt,
            keys.Where(k => k.UserName == u.Name).Select(k => View(tenant, k)).ToList())).ToList();
        return new Result(200, new { users });
    }

    private async Task<Result> CreateUserAsync(string tenantName, CreateUserInput input, CancellationToken ct)
    {
        var tenant = await TenantAsync(tenantName, ct);
        if (await store.GetUserAsync(tenant.Id, input.Name, ct) is not null)
        {
            throw new AdminException(AdminErrorCode.UserAlreadyExists, $"Tenant '{tenant.Name}' already has a user named '{input.Name}'.");
        }
        if (input.Buckets is { Count: 0 })
        {
            throw new AdminException(AdminErrorCode.InvalidArgument, "buckets: leave it out (or null) for all of the tenant's buckets, or name at least one.");
        }
        var created = await ValidatedAsync(() => tenants.CreateUserAsync(tenant.Name, input.Name, new UserPolicy(input.ReadOnly, input.Buckets), ct));
        return new Result(201, new { accessKey = View(created) });
    }

    private async Task<Result> DeleteUserAsync(string tenantName, string userName, CancellationToken ct)
    {
        var (tenant, user) = await UserAsync(tenantName, userName, ct);
        if (user.IsRoot)
        {
            throw new AdminException(AdminErrorCode.CannotDeleteRootUser);
        }
        var deleted = await store.DeleteUserAsync(tenant.Id, user.Name, ct)
            ?? throw new AdminException(AdminErrorCode.NoSuchUser, $"Tenant '{tenant.Name}' has no user '{userName}'.");
        tenantKeys.Revoke(deleted);
        return new Result(200, new { deletedAccessKeys = deleted });
    }

    private async Task<Result> DisableUserAsync(string tenantName, string userName, CancellationToken ct)
    {
        var (tenant, user) = await UserAsync(tenantName, userName, ct);
        var keys = (await store.ListAccessKeysAsync(tenant.Id, ct)).Where(k => k.UserName == user.Name).ToList();
        return new Result(200, new { disabledAccessKeys = await DisableAsync(keys, ct) });
    }

    private async Task<Result> ListAccessKeysAsync(string tenantName, CancellationToken ct)
    {
        var tenant = await TenantAsync(tenantName, ct);
        return new Result(200, new { accessKeys = (await store.ListAccessKeysAsync(tenant.Id, ct)).Select(k => View(tenant, k)).ToList() });
    }

    private async Task<Result> CreateAccessKeyAsync(string tenantName, string userName, CancellationToken ct)
    {
        var (tenant, user) = await UserAsync(tenantName, userName, ct);
        return new Result(201, new { accessKey = View(await tenants.CreateAccessKeyAsync(tenant, user.Name, ct)) });
    }

    private async Task<Result> SetActiveAsync(string accessKeyId, bool active, CancellationToken ct)
    {
        if (!await store.SetAccessKeyActiveAsync(accessKeyId, active, ct))
        {
            throw NoSuchAccessKey(accessKeyId);
        }
        if (!active)
        {
            tenantKeys.Revoke([accessKeyId]);
        }
        var key = await store.GetAccessKeyAsync(accessKeyId, ct) ?? throw NoSuchAccessKey(accessKeyId);
        var tenant = await store.GetTenantAsync(key.TenantId, ct) ?? throw NoSuchAccessKey(accessKeyId);
        return new Result(200, new { accessKey = View(tenant, key) });
    }

    private async Task<Result> DeleteAccessKeyAsync(string accessKeyId, CancellationToken ct)
    {
        if (!await store.DeleteAccessKeyAsync(accessKeyId, ct))
        {
            throw NoSuchAccessKey(accessKeyId);
        }
        tenantKeys.Revoke([accessKeyId]);
        return new Result(204, null);
    }

    /// <summary>A new key for the old key's user; then the old key is disabled or deleted (and revoked).</summary>
    private async Task<Result> RotateAsync(string accessKeyId, RotateAccessKeyInput input, CancellationToken ct)
    {
        if (input.OldKey is not ("disable" or "delete"))
        {
            throw new AdminException(AdminErrorCode.InvalidArgument, "oldKey must be \"disable\" or \"delete\".");
        }
        var old = await store.GetAccessKeyAsync(accessKeyId, ct) ?? throw NoSuchAccessKey(accessKeyId);
        var tenant = await store.GetTenantAsync(old.TenantId, ct) ?? throw NoSuchAccessKey(accessKeyId);
        var created = await tenants.CreateAccessKeyAsync(tenant, old.UserName, ct);
        var done = input.OldKey == "delete"
            ? await store.DeleteAccessKeyAsync(accessKeyId, ct)
            : await store.SetAccessKeyActiveAsync(accessKeyId, false, ct);
        tenantKeys.Revoke([accessKeyId]);
        return new Result(201, new { accessKey = View(created), oldAccessKeyId = accessKeyId, oldKey = done ? input.OldKey + "d" : "gone" });
    }

    private async Task<List<string>> DisableAsync(IEnumerable<AccessKey> keys, CancellationToken ct)
    {
        var disabled = new List<string>();
        foreach (var key in keys.Where(k => k.Active))
        {
            if (await store.SetAccessKeyActiveAsync(key.AccessKeyId, false, ct))
            {
                disabled.Add(key.AccessKeyId);
            }
        }
        tenantKeys.Revoke(disabled);
        return disabled;
    }

    private async Task<Tenant> TenantAsync(string name, CancellationToken ct) =>
        await store.FindTenantByNameAsync(name, ct) ?? throw new AdminException(AdminErrorCode.NoSuchTenant, $"No tenant named '{name}'.");

    private async Task<(Tenant Tenant, User User)> UserAsync(string tenantName, string userName, CancellationToken ct)
    {
        var tenant = await TenantAsync(tenantName, ct);
        var user = await store.GetUserAsync(tenant.Id, userName, ct) ?? throw new AdminException(AdminErrorCode.NoSuchUser, $"Tenant '{tenant.Name}' has no user '{userName}'.");
        return (tenant, user);
    }

    private static async Task<T> ValidatedAsync<T>(Func<Task<T>> create)
    {
        try
        {
            return await create();
        }
        catch (ArgumentException e)
        {
            // TenantService's name rules; the message states them.
            throw new AdminException(AdminErrorCode.InvalidArgument, e.Message);
        }
    }

    private static AdminException NoSuchAccessKey(string accessKeyId) => new(AdminErrorCode.NoSuchAccessKey, $"No access key '{accessKeyId}'.");

    private static NewAccessKeyView View(NewCredentials c) => new(c.TenantName, c.UserName, c.AccessKeyId, c.SecretAccessKey);

    private static AccessKeyView View(Tenant tenant, AccessKey k) => new(k.AccessKeyId, tenant.Name, k.UserName, k.Active, k.CreatedAt);
}
