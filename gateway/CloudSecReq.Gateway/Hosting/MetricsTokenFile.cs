using System.Security.Cryptography;
using CloudSecReq.Gateway.Observability;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// <c>DATA/metrics-token</c>: the bearer token that reads <c>/metrics</c> when csr.json's
/// <c>MetricsAccess</c> is "token" (the default). Made on first start (32 random bytes, hex, 0600);
/// the operator hands it to Prometheus (<c>authorization.credentials_file</c>). Never logged.
/// </summary>
internal static class MetricsTokenFile
{
    public const string FileName = "metrics-token";
    public const string TokenAccess = "token";
    public const string OpenAccess = "open";

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>The access that <paramref name="mode"/> (csr.json's <c>MetricsAccess</c>) asks for, creating the token file when needed.</summary>
    /// <exception cref="ArgumentException">An unknown mode, or a token file holding less than 16 characters.</exception>
    public static MetricsAccess Load(string dataDirectory, string mode)
    {
        switch (mode)
        {
            case OpenAccess:
                return MetricsAccess.Open;
            case TokenAccess:
                var path = PathIn(dataDirectory);
                if (!File.Exists(path))
                {
                    TlsCertificates.WritePrivate(path, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n");
                }
                return MetricsAccess.WithToken(File.ReadAllText(path).Trim());
            default:
                throw new ArgumentException($"{GatewayConfig.FileName}: MetricsAccess must be \"{TokenAccess}\" or \"{OpenAccess}\" (got \"{mode}\").");
        }
    }
}
