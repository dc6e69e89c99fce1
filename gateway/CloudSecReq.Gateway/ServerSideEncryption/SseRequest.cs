using System.Text;
using System.Text.Json;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>
/// What a write request asks for: <c>x-amz-server-side-encryption</c> (AES256 | aws:kms), the KMS key id,
/// the encryption context, <c>bucket-key-enabled</c>, or an SSE-C key. Nothing asked means the bucket
/// default, and without one SSE-S3: every object is encrypted.
/// </summary>
internal sealed record SseRequest(string? Algorithm, string? KmsKeyId, IReadOnlyDictionary<string, string>? Context, bool? BucketKeyEnabled, CustomerKey? CustomerKey) : IDisposable
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static SseRequest FromHeaders(IHeaderDictionary headers)
    {
        string? H(string n) => headers.TryGetValue(n, out var v) ? v.ToString() : null;
        var algorithm = H("x-amz-server-side-encryption");
        if (algorithm is not (null or ObjectEncryption.SseS3 or ObjectEncryption.SseKms))
        {
            throw algorithm == "aws:kms:dsse"
                ? new SseException(SseFailure.NotSupported, "Dual-layer SSE-KMS (aws:kms:dsse) is not supported.")
                : new SseException(SseFailure.InvalidHeader, "The encryption method specified is not supported", "x-amz-server-side-encryption");
        }
        var keyId = H("x-amz-server-side-encryption-aws-kms-key-id");
        var contextText = H("x-amz-server-side-encryption-context");
        var bucketKey = H("x-amz-server-side-encryption-bucket-key-enabled");
        if ((keyId is not null || contextText is not null) && algorithm != ObjectEncryption.SseKms)
        {
            throw new SseException(SseFailure.InvalidHeader, "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                "x-amz-server-side-encryption");
        }
        Dictionary<string, string>? context = null;
        if (contextText is not null)
        {
            try
            {
                // Strict: bytes that are not UTF-8 are refused rather than replaced (the context is bound into the
                // wrapped key), and a JSON null (the map or a value) is not a string-string map: {"a":null} was a 500.
                context = JsonSerializer.Deserialize<Dictionary<string, string>>(s_strictUtf8.GetString(Convert.FromBase64String(contextText)));
                if (context is null || context.Values.Any(v => v is null))
                {
                    throw new JsonException("The encryption context is not a string-string map.");
                }
            }
            catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
            {
                throw new SseException(SseFailure.InvalidHeader, "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
                    "x-amz-server-side-encryption-context");
            }
        }
        var customer = CustomerKey.FromHeaders(headers);
        if (customer is not null && algorithm is not null)
        {
            customer.Dispose();
            throw new SseException(SseFailure.InvalidHeader, "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                "x-amz-server-side-encryption");
        }
        bool? bucketKeyEnabled = bucketKey is null ? null : string.Equals(bucketKey, "true", StringComparison.OrdinalIgnoreCase);
        return new SseRequest(algorithm, keyId, context, bucketKeyEnabled, customer);
    }

    public void Dispose() => CustomerKey?.Dispose();
}
