using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// Caches derived SigV4 signing keys per access key, date, region and service, so that a request
/// costs one HMAC chain less and no secret unsealing. Entries live for <see cref="Lifetime"/>;
/// <see cref="Revoke"/> drops a key's entries at once, so a disabled or deleted access key is refused
/// on the next request. One cache per credential store (tenants' access keys, admin keys): the
/// <c>resolve</c> function returns the principal and the unsealed secret of an active key (the cache
/// zeroes the secret), or null. Thread-safe.
/// </summary>
internal sealed class SigningKeyCache<TPrincipal>(Func<string, CancellationToken, Task<(TPrincipal Principal, byte[] Secret)?>> resolve, TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string, string, string, string), Entry> _entries = new();
    private long _revocations;

    public static TimeSpan Lifetime { get; } = TimeSpan.FromMinutes(5);

    private sealed record Entry(TPrincipal Principal, byte[] SigningKey, DateTimeOffset Expires);

    /// <summary>The principal and signing key for a credential scope, or null when the access key is unknown or inactive.</summary>
    public async Task<(TPrincipal Principal, byte[] SigningKey)?> GetAsync(SigV4Credential credential, CancellationToken ct)
    {
        var id = (credential.AccessKeyId, credential.Date, credential.Region, credential.Service);
        var now = clock.GetUtcNow();
        if (_entries.TryGetValue(id, out var hit) && hit.Expires > now)
        {
            return (hit.Principal, hit.SigningKey);
        }
        var revocationsBefore = Volatile.Read(ref _revocations);
        var resolved = await resolve(credential.AccessKeyId, ct);
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
        var entry = new Entry(r.Principal, signingKey, now + Lifetime);
        _entries[id] = entry;
        // A revocation that committed while this key was being resolved may have swept the entries
        // before ours was added: it counted first, so we see it here and take ours out again.
        if (Volatile.Read(ref _revocations) != revocationsBefore)
        {
            _entries.TryRemove(new KeyValuePair<(string, string, string, string), Entry>(id, entry));
        }
        return (r.Principal, signingKey);
    }

    /// <summary>
    /// Forgets every cached signing key of these access keys. Call after the store has committed
    /// their deactivation or deletion: from then on each request resolves them again and is refused.
    /// </summary>
    public void Revoke(IEnumerable<string> accessKeyIds)
    {
        var ids = accessKeyIds.ToHashSet(StringComparer.Ordinal);
        Interlocked.Increment(ref _revocations);
        foreach (var key in _entries.Keys)
        {
            if (ids.Contains(key.Item1))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }
}
