using System.Net;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Metadata;
using Tag = Amazon.KeyManagementService.Model.Tag;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Who may do what with a tenant's KMS keys (issue 11, found by trying to break it): restricted users, the
/// tenant's AWS-managed key alias/aws/s3, and key policies on every use of a cached bucket or data key.
/// Real gateway, real SoftHSM2 token, AWSSDK.KeyManagementService and AWSSDK.S3 clients.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KmsAuthorizationTests(GatewayFixture gateway)
{
    private const string ManagedAlias = "alias/aws/s3";

    private static async Task<AmazonKeyManagementServiceException> DeniedAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(call);
        Assert.Equal("AccessDeniedException", e.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        return e;
    }

    private static async Task<string> ReadAsync(AmazonS3Client s3, string bucket, string objectKey)
    {
        using var get = await s3.GetObjectAsync(bucket, objectKey);
        using var reader = new StreamReader(get.ResponseStream);
        return await reader.ReadToEndAsync();
    }

    private static PutObjectRequest SseKmsPut(string bucket, string objectKey, string keyId, bool bucketKey, string body = "kms data") => new()
    {
        BucketName = bucket, Key = objectKey, ContentBody = body, ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
        ServerSideEncryptionKeyManagementServiceKeyId = keyId, BucketKeyEnabled = bucketKey,
    };

    [Theory]
    [InlineData(true)] // csr user create --read-only
    [InlineData(false)] // csr user create --bucket B
    public async Task KmsApi_RestrictedUser_ReadsKeysButCannotAdministerOrUseThem(bool readOnly)
    {
        var root = await gateway.NewTenantAsync();
        using var rootS3 = gateway.S3Client(root);
        using var rootKms = gateway.KmsClient(root);
        var bucket = GatewayFixture.NewBucketName();
        await rootS3.PutBucketAsync(bucket);
        await rootS3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "sse-s3", ContentBody = "tenant data" }); // makes alias/aws/s3
        var key = (await rootKms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        await rootS3.PutObjectAsync(SseKmsPut(bucket, "sse-kms", key.KeyId, bucketKey: true));
        var blob = (await rootKms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream("secret"u8.ToArray()) })).CiphertextBlob.ToArray();
        var user = await gateway.NewUserAsync(root.TenantName, new UserPolicy(readOnly, readOnly ? null : [bucket]));
        using var kms = gateway.KmsClient(user);

        // Describe*, List*, Get*: allowed.
        Assert.Equal(key.Arn, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId })).KeyMetadata.Arn);
        Assert.Contains((await kms.ListKeysAsync(new ListKeysRequest())).Keys, k => k.KeyId == key.KeyId);
        Assert.Contains((await kms.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.AliasName == ManagedAlias);
        Assert.NotEmpty((await kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "default" })).Policy);
        await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId });

        // Administration and direct cryptography: AccessDeniedException naming the user and the action.
        var refused = new (string Action, Func<Task> Call)[]
        {
            ("kms:DisableKey", () => kms.DisableKeyAsync(new DisableKeyRequest { KeyId = ManagedAlias })),
            ("kms:DisableKey", () => kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId })),
            ("kms:ScheduleKeyDeletion", () => kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 })),
            ("kms:CreateKey", () => kms.CreateKeyAsync(new CreateKeyRequest())),
            ("kms:PutKeyPolicy", () => kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "default", Policy = "{}" })),
            ("kms:CreateAlias", () => kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/mine", TargetKeyId = key.KeyId })),
            ("kms:TagResource", () => kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "k", TagValue = "v" }] })),
            ("kms:RotateKeyOnDemand", () => kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId })),
            ("kms:Encrypt", () => kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]) })),
            ("kms:Decrypt", () => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob) })),
            ("kms:GenerateDataKey", () => kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = ManagedAlias, KeySpec = DataKeySpec.AES_256 })),
            ("kms:GenerateRandom", () => kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 16 })),
        };
        foreach (var (action, call) in refused)
        {
            var e = await DeniedAsync(call);
            Assert.Contains($":user/{user.UserName} ", e.Message);
            Assert.Contains(action + " ", e.Message);
        }

        // Nothing changed, and the gateway's own SSE path still serves the user within its S3 rights.
        Assert.Equal(KeyState.Enabled, (await rootKms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = ManagedAlias })).KeyMetadata.KeyState);
        Assert.Equal(KeyState.Enabled, (await rootKms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId })).KeyMetadata.KeyState);
        using var s3 = gateway.S3Client(user);
        Assert.Equal("tenant data", await ReadAsync(s3, bucket, "sse-s3"));
        Assert.Equal("kms data", await ReadAsync(s3, bucket, "sse-kms"));
        if (!readOnly)
        {
            await s3.PutObjectAsync(SseKmsPut(bucket, "by-user", key.KeyId, bucketKey: true, body: "written by the user"));
            Assert.Equal("written by the user", await ReadAsync(rootS3, bucket, "by-user"));
        }
    }

    [Fact]
    public async Task ManagedS3Key_TenantRoot_CannotDisableDeleteRepolicyImportOrMoveItsAlias()
    {
        var root = await gateway.NewTenantAsync();
        using var s3 = gateway.S3Client(root);
        using var kms = gateway.KmsClient(root);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "sse-s3", ContentBody = "every SSE-S3 object" });
        var managed = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = ManagedAlias })).KeyMetadata;
        var own = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/own", TargetKeyId = own.KeyId });

        // As AWS answers for an AWS managed key: its key policy grants only kms:Describe*, Get*, List* (and use through
        // S3), so everything else is AccessDeniedException, for the account's root as well.
        var refused = new (string Action, Func<Task> Call)[]
        {
            ("kms:DisableKey", () => kms.DisableKeyAsync(new DisableKeyRequest { KeyId = ManagedAlias })),
            ("kms:DisableKey", () => kms.DisableKeyAsync(new DisableKeyRequest { KeyId = managed.KeyId })),
            ("kms:EnableKey", () => kms.EnableKeyAsync(new EnableKeyRequest { KeyId = managed.KeyId })),
            ("kms:ScheduleKeyDeletion", () => kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = managed.Arn, PendingWindowInDays = 7 })),
            ("kms:CancelKeyDeletion", () => kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = managed.KeyId })),
            ("kms:PutKeyPolicy", () => kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = managed.KeyId, PolicyName = "default", Policy = $$"""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{managed.AWSAccountId}}:root"},"Action":"kms:*"}]}""" })),
            ("kms:EnableKeyRotation", () => kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = managed.KeyId })),
            ("kms:DisableKeyRotation", () => kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = managed.KeyId })),
            ("kms:RotateKeyOnDemand", () => kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = managed.KeyId })),
            ("kms:TagResource", () => kms.TagResourceAsync(new TagResourceRequest { KeyId = managed.KeyId, Tags = [new Tag { TagKey = "k", TagValue = "v" }] })),
            ("kms:UntagResource", () => kms.UntagResourceAsync(new UntagResourceRequest { KeyId = managed.KeyId, TagKeys = ["k"] })),
            ("kms:ImportKeyMaterial", () => kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
            {
                KeyId = managed.KeyId, ImportToken = new MemoryStream(new byte[64]), EncryptedKeyMaterial = new MemoryStream(new byte[256]),
                ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
            })),
            ("kms:DeleteImportedKeyMaterial", () => kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = managed.KeyId })),
            ("kms:DeleteAlias", () => kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = ManagedAlias })),
            ("kms:CreateAlias", () => kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/second-name", TargetKeyId = managed.KeyId })),
            ("kms:UpdateAlias", () => kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = "alias/own", TargetKeyId = managed.KeyId })),
        };
        foreach (var (action, call) in refused)
        {
            var e = await DeniedAsync(call);
            Assert.Contains($"{action} on resource: {managed.Arn}", e.Message);
        }
        // The reserved name cannot be pointed elsewhere (alias/aws/ is reserved, as in AWS) ...
        var reserved = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = ManagedAlias, TargetKeyId = own.KeyId }));
        Assert.Equal("InvalidAliasNameException", reserved.ErrorCode);
        // ... and a kms:Get* call that only external keys support fails as it does in AWS for an AWS_KMS key.
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = managed.KeyId, WrappingAlgorithm = AlgorithmSpec.RSAES_OAEP_SHA_1, WrappingKeySpec = WrappingKeySpec.RSA_2048,
        }));

        var after = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = ManagedAlias })).KeyMetadata;
        Assert.Equal(managed.KeyId, after.KeyId);
        Assert.Equal(KeyState.Enabled, after.KeyState);
        Assert.Equal(KeyManagerType.AWS, after.KeyManager);
        Assert.Equal(KeyManagerType.CUSTOMER, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = own.KeyId })).KeyMetadata.KeyManager);
        Assert.Equal(own.KeyId, (await kms.ListAliasesAsync(new ListAliasesRequest())).Aliases.Single(a => a.AliasName == "alias/own").TargetKeyId);
        Assert.Equal("every SSE-S3 object", await ReadAsync(s3, bucket, "sse-s3"));
    }

    [Fact]
    public async Task SseKmsObject_UserTheKeyPolicyNowDenies_IsRefusedAlthoughTheCachesAreWarm()
    {
        var root = await gateway.NewTenantAsync();
        using var rootS3 = gateway.S3Client(root);
        using var rootKms = gateway.KmsClient(root);
        var bucket = GatewayFixture.NewBucketName();
        await rootS3.PutBucketAsync(bucket);
        var key = (await rootKms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        await rootS3.PutObjectAsync(SseKmsPut(bucket, "with-bucket-key", key.KeyId, bucketKey: true));
        await rootS3.PutObjectAsync(SseKmsPut(bucket, "without-bucket-key", key.KeyId, bucketKey: false));
        var bob = await gateway.NewUserAsync(root.TenantName, UserPolicy.FullAccess);
        using var bobS3 = gateway.S3Client(bob);
        // The default key policy lets every principal of the tenant use the key: bob reads, which warms the caches.
        foreach (var objectKey in new[] { "with-bucket-key", "without-bucket-key" })
        {
            Assert.Equal("kms data", await ReadAsync(bobS3, bucket, objectKey));
        }

        await rootKms.PutKeyPolicyAsync(new PutKeyPolicyRequest
        {
            KeyId = key.KeyId, PolicyName = "default",
            Policy = $$"""
                {"Version":"2012-10-17","Statement":[
                  {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{key.AWSAccountId}}:root"},"Action":"kms:*","Resource":"*"},
                  {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::{{key.AWSAccountId}}:user/{{bob.UserName}}"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}
                """,
        });

        // The root still reads (from the warm caches) ...
        foreach (var objectKey in new[] { "with-bucket-key", "without-bucket-key" })
        {
            Assert.Equal("kms data", await ReadAsync(rootS3, bucket, objectKey));
        }
        // ... bob no longer does, whatever the caches hold: GET, copy and PUT are refused as KMS refuses them.
        foreach (var objectKey in new[] { "with-bucket-key", "without-bucket-key" })
        {
            var get = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => bobS3.GetObjectAsync(bucket, objectKey));
            Assert.Equal("KMS.AccessDeniedException", get.ErrorCode);
            var copy = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => bobS3.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = bucket, SourceKey = objectKey, DestinationBucket = bucket, DestinationKey = "copy-of-" + objectKey,
            }));
            Assert.Equal("KMS.AccessDeniedException", copy.ErrorCode);
            // HEAD does not use the key (as in AWS: metadata only), so it still answers.
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, (await bobS3.GetObjectMetadataAsync(bucket, objectKey)).ServerSideEncryptionMethod);
        }
        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => bobS3.PutObjectAsync(SseKmsPut(bucket, "by-bob", key.KeyId, bucketKey: true)));
        Assert.Equal("KMS.AccessDeniedException", put.ErrorCode);
        Assert.Equal("kms data", await ReadAsync(rootS3, bucket, "with-bucket-key"));
    }

    [Fact]
    public async Task KmsRequest_TargetOutsideTheSignature_IsRefusedAndChangesNothing()
    {
        var root = await gateway.NewTenantAsync();
        using var kms = gateway.KmsClient(root);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var body = Encoding.UTF8.GetBytes($$"""{"KeyId":"{{key.KeyId}}"}""");
        // A DescribeKey signed without x-amz-target among its signed headers: whoever sees it could send the same
        // signature and body as a DisableKey within the 15-minute window.
        var headers = HandSigner.Sign("POST", Host, "/", "", SigV4.Sha256Hex(body), root.AccessKeyId, root.SecretAccessKey, TimeProvider.System.GetUtcNow(), service: "kms");
        using var response = await SendAsync("/", headers, "TrentService.DisableKey", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("IncompleteSignatureException", ErrorType(await response.Content.ReadAsStringAsync()));
        Assert.Equal(KeyState.Enabled, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId })).KeyMetadata.KeyState);
    }

    [Fact]
    public async Task KmsRequest_PresignedWithoutItsBody_IsRefusedAndChangesNothing()
    {
        var root = await gateway.NewTenantAsync();
        using var kms = gateway.KmsClient(root);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        // A presigned URL (valid for days) that signs the operation but not the body (UNSIGNED-PAYLOAD): the body is the
        // bearer's choice, here another key's deletion.
        var now = TimeProvider.System.GetUtcNow();
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var scope = $"{amzDate[..8]}/us-east-1/kms/aws4_request";
        var query = $"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={Uri.EscapeDataString(root.AccessKeyId + "/" + scope)}&X-Amz-Date={amzDate}"
            + "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host%3Bx-amz-target";
        const string target = "TrentService.ScheduleKeyDeletion";
        var canonical = SigV4.CanonicalRequest("POST", "/", query, [new("host", Host), new("x-amz-target", target)], ["host", "x-amz-target"],
            SigV4.UnsignedPayload, normalizePath: false, excludeQueryParameter: "X-Amz-Signature");
        var signature = SigV4.Sign(SigV4.DeriveSigningKey(Encoding.UTF8.GetBytes(root.SecretAccessKey), amzDate[..8], "us-east-1", "kms"), SigV4.StringToSign(amzDate, scope, canonical));
        var body = Encoding.UTF8.GetBytes($$"""{"KeyId":"{{key.KeyId}}","PendingWindowInDays":7}""");
        using var response = await SendAsync($"/?{query}&X-Amz-Signature={signature}", [], target, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidSignatureException", ErrorType(await response.Content.ReadAsStringAsync()));
        Assert.Equal(KeyState.Enabled, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId })).KeyMetadata.KeyState);
    }

    private string Host => $"127.0.0.1:{gateway.Endpoint.Port}";

    private async Task<HttpResponseMessage> SendAsync(string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers, string target, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.Endpoint, pathAndQuery)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        foreach (var (name, value) in headers)
        {
            if (name != "host")
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var http = gateway.HttpClient();
        return await http.SendAsync(request);
    }

    private static string? ErrorType(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("__type").GetString();
    }
}
