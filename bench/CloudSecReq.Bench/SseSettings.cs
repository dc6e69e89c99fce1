using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Bench;

/// <summary>
/// What the bench adds to its requests for one <see cref="SseMode"/>: the SSE headers of each PUT,
/// and the SSE-C key of each GET. For the KMS modes it creates one KMS key through the gateway's KMS
/// API (AWSSDK.KeyManagementService, the tenant's credentials). Immutable, thread-safe.
/// </summary>
internal sealed class SseSettings
{
    private SseSettings(SseMode mode, string? kmsKeyArn, string? customerKeyBase64, string? customerKeyMd5Base64)
    {
        Mode = mode;
        KmsKeyArn = kmsKeyArn;
        _customerKeyBase64 = customerKeyBase64;
        _customerKeyMd5Base64 = customerKeyMd5Base64;
    }

    private readonly string? _customerKeyBase64;
    private readonly string? _customerKeyMd5Base64;

    public SseMode Mode { get; }
    /// <summary>The KMS key the bench created for the KMS modes; null otherwise.</summary>
    public string? KmsKeyArn { get; }

    public static string Name(SseMode mode) => mode switch
    {
        SseMode.None => "none (gateway default)",
        SseMode.S3 => "SSE-S3",
        SseMode.Kms => "SSE-KMS, bucket key",
        SseMode.KmsNoBucketKey => "SSE-KMS, no bucket key",
        SseMode.C => "SSE-C",
        _ => mode.ToString(),
    };

    public static async Task<SseSettings> CreateAsync(SseMode mode, BenchTarget target, CancellationToken ct)
    {
        switch (mode)
        {
            case SseMode.Kms or SseMode.KmsNoBucketKey:
                using (var kms = new AmazonKeyManagementServiceClient(new BasicAWSCredentials(target.AccessKeyId, target.Secret), new AmazonKeyManagementServiceConfig
                {
                    ServiceURL = target.Endpoint.ToString(),
                    AuthenticationRegion = target.Region,
                    HttpClientFactory = new TrustingHttpClientFactory(target.CaPath),
                    MaxErrorRetry = 0,
                }))
                {
                    var created = await kms.CreateKeyAsync(new CreateKeyRequest { Description = "CloudSecReq.Bench SSE-KMS" }, ct);
                    return new SseSettings(mode, created.KeyMetadata.Arn, null, null);
                }
            case SseMode.C:
                var customerKey = RandomNumberGenerator.GetBytes(32);
#pragma warning disable CA5351 // SSE-C sends the key's MD5 by protocol (x-amz-server-side-encryption-customer-key-MD5)
                return new SseSettings(mode, null, Convert.ToBase64String(customerKey), Convert.ToBase64String(MD5.HashData(customerKey)));
#pragma warning restore CA5351
            default:
                return new SseSettings(mode, null, null, null);
        }
    }

    public void Apply(PutObjectRequest request)
    {
        switch (Mode)
        {
            case SseMode.S3:
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
                break;
            case SseMode.Kms or SseMode.KmsNoBucketKey:
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKeyArn;
                request.BucketKeyEnabled = Mode == SseMode.Kms;
                break;
            case SseMode.C:
                request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                request.ServerSideEncryptionCustomerProvidedKey = _customerKeyBase64;
                request.ServerSideEncryptionCustomerProvidedKeyMD5 = _customerKeyMd5Base64;
                break;
        }
    }

    public void Apply(GetObjectRequest request)
    {
        if (Mode == SseMode.C)
        {
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = _customerKeyBase64;
            request.ServerSideEncryptionCustomerProvidedKeyMD5 = _customerKeyMd5Base64;
        }
    }
}
