using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;

namespace CloudSecReq.Bench;

/// <summary>
/// HttpClients for AWSSDK.S3 that trust exactly the gateway's CA (as the integration tests do), or
/// the system store when no CA is given. Connections are unlimited per server so that every worker
/// keeps its own keep-alive connection.
/// </summary>
internal sealed class TrustingHttpClientFactory(string? caPath) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(Handler(caPath));

    private static SocketsHttpHandler Handler(string? caPath)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue };
        if (caPath is null)
        {
            return handler;
        }
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
        {
            if (cert is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(cert));
        };
        return handler;
    }
}
