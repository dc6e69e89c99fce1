using System.Collections.Concurrent;
using System.Security.Cryptography;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// Caches derived SigV4 signing keys per access key, date, region and service, so that a request
/// costs one HMAC chain less and no secret unsealing. Entries live for <see cref="Lifetime"/>, which
/// bounds how long a deactivated key keeps working on this gateway. Thread-safe.
/// </summary>
internal sealed class SigningKeyCache(TenantService tenants, TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string, string, string, string), Entry> _entries = new();

    public static TimeSpan Lifetime { get; } = TimeSpan.FromMinutes(5);

    private sealed record Entry(Principal Principal, byte[] SigningKey, DateTimeOffset Expires);

    /// <summary>The principal and signing key for a credential scope, or null when the access key is unknown or inactive.</summary>
    public async Task<(Principal Principal, byte[] SigningKey)?> GetAsync(SigV4Credential credential, CancellationToken ct)
    {
        var id = (credential.AccessKeyId, credential.Date, credential.Region, credential.Service);
        var now = clock.GetUtcNow();
        if (_entries.TryGetValue(id, out var hit) && hit.Expires > now)
        {
            return (hit.Principal, hit.SigningKey);
        }
        var resolved = await tenants.ResolveAsync(credential.AccessKeyId, ct);
        if (resolved is not { } r)
        {
            _entries.TryRemove(id, out _);
            return null;
        }
        var signingKey = SigV4.DeriveSigningKey(r.Secret, credential.Date, credential.Region, credential.Service);
        CryptographicOperations.ZeroMemory(r.Secret);
        if (_entries.Count > 10_000)
        {
            _entries.Clear();
        }
        _entries[id] = new Entry(r.Principal, signingKey, now + Lifetime);
        return (r.Principal, signingKey);
    }
}
