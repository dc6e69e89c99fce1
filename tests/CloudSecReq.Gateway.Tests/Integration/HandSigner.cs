using System.Globalization;
using System.Text;
using CloudSecReq.Gateway.Auth;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Signs a request by hand with the gateway's own SigV4 functions, for requests no client would
/// send: a chosen x-amz-date, a body that never arrives, bytes that are not UTF-8. Region us-east-1,
/// service s3 unless another is named (kms).
/// </summary>
internal static class HandSigner
{
    /// <summary>
    /// Returns the headers to send (host, x-amz-date, x-amz-content-sha256, the extra ones and
    /// Authorization). <paramref name="rawPath"/> and <paramref name="rawQuery"/> are as on the wire.
    /// </summary>
    public static List<KeyValuePair<string, string>> Sign(string method, string host, string rawPath, string rawQuery, string payloadHash,
        string accessKeyId, string secret, DateTimeOffset time, IEnumerable<KeyValuePair<string, string>>? extraHeaders = null, string service = "s3")
    {
        var amzDate = time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var headers = new List<KeyValuePair<string, string>>
        {
            new("host", host),
            new("x-amz-date", amzDate),
            new("x-amz-content-sha256", payloadHash),
        };
        headers.AddRange(extraHeaders ?? []);
        var signedHeaders = headers.Select(h => h.Key.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal).ToList();
        var canonical = SigV4.CanonicalRequest(method, rawPath, rawQuery, headers, signedHeaders, payloadHash, normalizePath: false);
        var scope = $"{date}/us-east-1/{service}/aws4_request";
        var key = SigV4.DeriveSigningKey(Encoding.UTF8.GetBytes(secret), date, "us-east-1", service);
        var signature = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonical));
        headers.Add(new("Authorization", $"{SigV4.Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={string.Join(';', signedHeaders)}, Signature={signature}"));
        return headers;
    }
}
