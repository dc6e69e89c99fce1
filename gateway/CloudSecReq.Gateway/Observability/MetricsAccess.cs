using System.Security.Cryptography;
using System.Text;

namespace CloudSecReq.Gateway.Observability;

/// <summary>
/// Who may read <c>/metrics</c>: anyone who can reach the listener (<see cref="Open"/>), or whoever
/// sends <c>Authorization: Bearer TOKEN</c> with the configured token (compared in constant time).
/// Immutable.
/// </summary>
internal sealed class MetricsAccess
{
    private readonly byte[]? _tokenHash;

    private MetricsAccess(byte[]? tokenHash) => _tokenHash = tokenHash;

    public static MetricsAccess Open { get; } = new(null);

    /// <exception cref="ArgumentException">The token is shorter than 16 characters.</exception>
    public static MetricsAccess WithToken(string token) =>
        token.Length < 16
            ? throw new ArgumentException("The metrics bearer token must be at least 16 characters.", nameof(token))
            : new(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public bool IsOpen => _tokenHash is null;

    /// <summary>Whether the request may read the metrics.</summary>
    public bool Allows(HttpRequest request)
    {
        if (_tokenHash is null)
        {
            return true;
        }
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        // Hashing first makes the comparison constant-time whatever the length sent.
        var sent = SHA256.HashData(Encoding.UTF8.GetBytes(header.AsSpan(scheme.Length).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(sent, _tokenHash);
    }
}
