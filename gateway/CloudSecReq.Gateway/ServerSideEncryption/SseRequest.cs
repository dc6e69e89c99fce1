using System.Text;
using System.Text.Json;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.S3;
using Microsoft.AspNetCore.Http;

namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>
/// What a write request asks for: <c>x-amz-server-side-encryption</c> (AES256 | aws:kms), the KMS key id,
/// the encryption context, <c>bucket-key-enabled</c>, or an SSE-C key. Nothing asked means the bucket
/// default, and without one SSE-S3: every object is encrypted.
/// </summary>
internal sealed record SseRequest(string? Algorithm, string? KmsKeyId, IReadOnlyDictionary<string, string>? Context, bool? BucketKeyEnabled, CustomerKey? CustomerKey) : IDisposable
{
    public static SseRequest FromHeaders(IHeaderDictionary headers)
    {
        string? H(string n) => headers.TryGetValue(n, out var v) ? v.ToString() : null;
        var algorithm = H("x-amz-server-side-encryption");
        if (algorithm is not (null or ObjectEncryption.SseS3 or ObjectEncryption.SseKms))
        {
            throw algorithm == "aws:kms:dsse"
                ? new S3Exception(S3ErrorCode.NotImplemented, "Dual-layer SSE-KMS (aws:kms:dsse) is not supported.")
                : new S3Exception(S3ErrorCode.InvalidArgument, "The encryption method specified is not supported").With("ArgumentName", "x-amz-server-side-encryption");
        }
        var keyId = H("x-amz-server-side-encryption-aws-kms-key-id");
        var contextText = H("x-amz-server-side-encryption-context");
        var bucketKey = H("x-amz-server-side-encryption-bucket-key-enabled");
        if ((keyId is not null || contextText is not null) && algorithm != ObjectEncryption.SseKms)
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
                .With("ArgumentName", "x-amz-server-side-encryption");
        }
        Dictionary<string, string>? context = null;
        if (contextText is not null)
        {
            try
            {
                context = JsonSerializer.Deserialize<Dictionary<string, string>>(Encoding.UTF8.GetString(Convert.FromBase64String(contextText)));
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                throw new S3Exception(S3ErrorCode.InvalidArgument, "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map")
                    .With("ArgumentName", "x-amz-server-side-encryption-context");
            }
        }
        var customer = CustomerKey.FromHeaders(headers);
        if (customer is not null && algorithm is not null)
        {
            customer.Dispose();
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Server Side Encryption with Customer provided key is incompatible with the encryption method specified")
                .With("ArgumentName", "x-amz-server-side-encryption");
        }
        bool? bucketKeyEnabled = bucketKey is null ? null : string.Equals(bucketKey, "true", StringComparison.OrdinalIgnoreCase);
        return new SseRequest(algorithm, keyId, context, bucketKeyEnabled, customer);
    }

    public void Dispose() => CustomerKey?.Dispose();
}
