using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Hand-signed requests with exactly the bytes a test chooses (a path and query as on the wire,
/// UTF-8 header values, headers left unsigned), for inputs no S3 client library would send.
/// </summary>
internal sealed class SignedRequests(GatewayFixture gateway, NewCredentials tenant) : IDisposable
{
    private readonly HttpClient _http = new(Utf8Headers(gateway.HttpHandler()));

    public sealed record Reply(HttpStatusCode Status, string Body, HttpResponseMessage Message)
    {
        public string? Header(string name) =>
            Message.Headers.TryGetValues(name, out var v) || Message.Content.Headers.TryGetValues(name, out v) ? string.Join(",", v) : null;

        /// <summary>The S3 error code of an error document (read as AWS writes it: character references allowed).</summary>
        public string? ErrorCode => Body.Length == 0 ? Header("x-amz-error-code") : Xml().Element("Code")?.Value;

        public XElement Xml()
        {
            using var reader = XmlReader.Create(new StringReader(Body), new XmlReaderSettings { CheckCharacters = false });
            return XDocument.Load(reader).Root!;
        }
    }

    /// <param name="rawPath">The path as sent, already percent-encoded (e.g. <c>/bucket/%FE</c>).</param>
    /// <param name="signedHeaders">Headers sent and signed (x-amz-*, Content-Type ...).</param>
    /// <param name="unsignedHeaders">Headers sent but left out of the signature.</param>
    public async Task<Reply> SendAsync(string method, string rawPath, string rawQuery = "", byte[]? body = null,
        IEnumerable<KeyValuePair<string, string>>? signedHeaders = null, IEnumerable<KeyValuePair<string, string>>? unsignedHeaders = null)
    {
        body ??= [];
        var host = $"127.0.0.1:{gateway.Endpoint.Port}";
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(body));
        var headers = HandSigner.Sign(method, host, rawPath, rawQuery, payloadHash, tenant.AccessKeyId, tenant.SecretAccessKey, TimeProvider.System.GetUtcNow(), signedHeaders);
        headers.AddRange(unsignedHeaders ?? []);
        var uri = new Uri($"https://{host}{rawPath}{(rawQuery.Length > 0 ? "?" + rawQuery : "")}",
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (method is "PUT" or "POST")
        {
            request.Content = new ByteArrayContent(body);
        }
        foreach (var (name, value) in headers)
        {
            if (name == "host")
            {
                continue;
            }
            if (name.StartsWith("content-", StringComparison.OrdinalIgnoreCase) && request.Content is not null)
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        var response = await _http.SendAsync(request);
        return new Reply(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private static SocketsHttpHandler Utf8Headers(SocketsHttpHandler handler)
    {
        // Header values travel as UTF-8 bytes, as a client sending non-ASCII metadata would send them.
        handler.RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8;
        return handler;
    }

    public void Dispose() => _http.Dispose();
}
