using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using CloudSecReq.Gateway.Admin;
using CloudSecReq.Gateway.Auth;

namespace CloudSecReq.Gateway.Cli;

/// <summary>
/// Calls the admin API of a running gateway (docs/admin-api.md): SigV4 with service <c>csr-admin</c>
/// over the whole body, HTTPS trusting exactly the CA in <c>caPath</c> (or the system's when null).
/// Returns the status and the JSON body; never logs, and never puts the secret in an exception.
/// </summary>
internal sealed class AdminClient(Uri endpoint, string accessKeyId, string secretAccessKey, string region, string? caPath, TimeProvider clock) : IDisposable
{
    private readonly HttpClient _http = new(Handler(caPath)) { Timeout = TimeSpan.FromSeconds(100) };

    public Uri Endpoint => endpoint;

    /// <summary>Sends one admin request; <paramref name="path"/> is under <c>/admin/v1/</c> (e.g. <c>tenants</c>).</summary>
    /// <exception cref="HttpRequestException">The gateway could not be reached.</exception>
    public async Task<(int Status, JsonElement? Body)> SendAsync(string method, string path, object? body, CancellationToken ct)
    {
        var bytes = body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body, AdminJson.Options);
        var rawPath = AdminEndpoint.PathPrefix + string.Join('/', path.Split('/').Select(SigV4.UriEncode));
        var host = endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}";
        var amzDate = clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var payloadHash = SigV4.Sha256Hex(bytes);
        var headers = new List<KeyValuePair<string, string>> { new("host", host), new("x-amz-content-sha256", payloadHash), new("x-amz-date", amzDate) };
        string[] signed = ["host", "x-amz-content-sha256", "x-amz-date"];
        var canonical = SigV4.CanonicalRequest(method, rawPath, "", headers, signed, payloadHash, normalizePath: false);
        var scope = $"{amzDate[..8]}/{region}/{AdminEndpoint.Service}/aws4_request";
        var key = SigV4.DeriveSigningKey(Encoding.ASCII.GetBytes(secretAccessKey), amzDate[..8], region, AdminEndpoint.Service);
        var signature = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonical));
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(endpoint, rawPath));
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        request.Headers.TryAddWithoutValidation("Authorization", $"{SigV4.Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={string.Join(';', signed)}, Signature={signature}");
        if (bytes.Length > 0)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new("application/json");
        }
        using var response = await _http.SendAsync(request, ct);
        var text = await response.Content.ReadAsByteArrayAsync(ct);
        JsonElement? json = null;
        if (text.Length > 0)
        {
            try
            {
                json = JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                // Not an admin API answer (an S3 XML error, a proxy page): reported by status only.
                json = null;
            }
        }
        return ((int)response.StatusCode, json);
    }

    private static SocketsHttpHandler Handler(string? caPath)
    {
        var handler = new SocketsHttpHandler();
        if (caPath is not null)
        {
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
                using var presented = new X509Certificate2(cert);
                return chain.Build(presented);
            };
        }
        return handler;
    }

    public void Dispose() => _http.Dispose();
}
