using System.Security.Cryptography;
using System.Text;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Tenants;

/// <summary>
/// Creates tenants, users and access keys, and resolves an access key id to its principal and
/// secret for signature checks. Secrets are sealed by <see cref="ISecretProtector"/> before they
/// are stored. Thread-safe.
/// </summary>
internal sealed class TenantService(IMetadataStore store, ISecretProtector protector, TimeProvider clock)
{
    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public const string RootUserName = "root";

    /// <summary>Creates a tenant with its root user and a first access key for it.</summary>
    public async Task<NewCredentials> CreateTenantAsync(string name, CancellationToken ct)
    {
        ValidateName(name, "tenant");
        if (await store.FindTenantByNameAsync(name, ct) is not null)
        {
            throw new InvalidOperationException($"A tenant named '{name}' already exists.");
        }
        var now = clock.GetUtcNow();
        var tenant = new Tenant(Guid.NewGuid().ToString("N"), name, NewAccountId(), now);
        await store.CreateTenantAsync(tenant, new User(tenant.Id, RootUserName, true, UserPolicy.FullAccess, now), ct);
        return await CreateAccessKeyAsync(tenant, RootUserName, ct);
    }

    /// <summary>Creates a user in a tenant with an access key.</summary>
    public async Task<NewCredentials> CreateUserAsync(string tenantName, string userName, UserPolicy policy, CancellationToken ct)
    {
        ValidateName(userName, "user");
        var tenant = await store.FindTenantByNameAsync(tenantName, ct) ?? throw new InvalidOperationException($"No tenant named '{tenantName}'.");
        if (!await store.CreateUserAsync(new User(tenant.Id, userName, false, policy, clock.GetUtcNow()), ct))
        {
            throw new InvalidOperationException($"Tenant '{tenantName}' already has a user named '{userName}'.");
        }
        return await CreateAccessKeyAsync(tenant, userName, ct);
    }

    /// <summary>Adds an access key to an existing user.</summary>
    public async Task<NewCredentials> CreateAccessKeyAsync(Tenant tenant, string userName, CancellationToken ct)
    {
        var accessKeyId = "CSR" + RandomNumberGenerator.GetString(Base32, 17);
        var secretBytes = RandomNumberGenerator.GetBytes(30);
        var secret = Convert.ToBase64String(secretBytes);
        CryptographicOperations.ZeroMemory(secretBytes);
        var secretUtf8 = Encoding.ASCII.GetBytes(secret);
        var sealedSecret = protector.Protect(secretUtf8, accessKeyId);
        CryptographicOperations.ZeroMemory(secretUtf8);
        await store.CreateAccessKeyAsync(new AccessKey(accessKeyId, tenant.Id, userName, sealedSecret, true, clock.GetUtcNow()), ct);
        return new NewCredentials(tenant.Name, userName, accessKeyId, secret);
    }

    /// <summary>
    /// Looks up an active access key. Returns null when it is unknown or inactive. The caller owns
    /// <c>Secret</c> and must zero it when done.
    /// </summary>
    public async Task<(Principal Principal, byte[] Secret)?> ResolveAsync(string accessKeyId, CancellationToken ct)
    {
        var key = await store.GetAccessKeyAsync(accessKeyId, ct);
        if (key is null || !key.Active)
        {
            return null;
        }
        var tenant = await store.GetTenantAsync(key.TenantId, ct);
        var user = await store.GetUserAsync(key.TenantId, key.UserName, ct);
        if (tenant is null || user is null)
        {
            return null;
        }
        return (new Principal(tenant, user, accessKeyId), protector.Unprotect(key.ProtectedSecret, accessKeyId));
    }

    private static string NewAccountId() => RandomNumberGenerator.GetString("0123456789", 12);

    private static void ValidateName(string name, string what)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@' or '+' or '='))
        {
            throw new ArgumentException($"A {what} name is 1 to 64 characters of letters, digits and - _ . @ + =.");
        }
    }
}
