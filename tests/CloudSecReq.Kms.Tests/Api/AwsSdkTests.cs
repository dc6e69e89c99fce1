using System.Net;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Kms.Tests.Api;

/// The official AWSSDK.KeyManagementService client against KmsApi, through an in-process HTTP handler that does
/// what the gateway's host will do (X-Amz-Target → operation, body → JSON; SigV4 is the gateway's and not checked here).
[Collection("Hsm")]
public sealed class AwsSdkTests(HsmFixture f)
{
    [Fact]
    public async Task AwsSdk_KeyLifecycleAndDataKeys_Work()
    {
        var tenant = HsmFixture.NewTenant();
        using var kms = Client(tenant);

        var created = await kms.CreateKeyAsync(new CreateKeyRequest { Description = "sdk", Tags = [new Tag { TagKey = "a", TagValue = "b" }] });
        var keyId = created.KeyMetadata.KeyId;
        Assert.Equal(KeyState.Enabled, created.KeyMetadata.KeyState);
        Assert.Equal(tenant.AccountId, created.KeyMetadata.AWSAccountId);
        Assert.True(created.KeyMetadata.CreationDate > f.Clock.GetUtcNow().UtcDateTime.AddDays(-400));

        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/sdk", TargetKeyId = keyId });
        var context = new Dictionary<string, string> { ["k"] = "v" };
        var dataKey = await kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = "alias/sdk", KeySpec = DataKeySpec.AES_256, EncryptionContext = context });
        Assert.Equal(32, dataKey.Plaintext.Length);
        var decrypted = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = dataKey.CiphertextBlob, EncryptionContext = context });
        Assert.Equal(dataKey.Plaintext.ToArray(), decrypted.Plaintext.ToArray());
        Assert.Equal(created.KeyMetadata.Arn, decrypted.KeyId);

        var wrongContext = await Assert.ThrowsAsync<InvalidCiphertextException>(() =>
            kms.DecryptAsync(new DecryptRequest { CiphertextBlob = dataKey.CiphertextBlob, EncryptionContext = new Dictionary<string, string> { ["k"] = "other" } }));
        Assert.Equal(HttpStatusCode.BadRequest, wrongContext.StatusCode);

        await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId });
        var rotations = await kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId });
        Assert.Single(rotations.Rotations);
        Assert.Equal(RotationType.ON_DEMAND, rotations.Rotations[0].RotationType);
        Assert.Equal(dataKey.Plaintext.ToArray(), (await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = dataKey.CiphertextBlob, EncryptionContext = context })).Plaintext.ToArray());

        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        await Assert.ThrowsAsync<DisabledException>(() => kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([1]) }));
        await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });

        var scheduled = await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = 7 });
        Assert.Equal(KeyState.PendingDeletion, scheduled.KeyState);
        Assert.True(scheduled.DeletionDate > f.Clock.GetUtcNow().UtcDateTime.AddDays(6));
        await kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = keyId });

        var tags = await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = keyId });
        Assert.Equal("b", tags.Tags.Single().TagValue);
        var aliases = await kms.ListAliasesAsync(new ListAliasesRequest());
        Assert.Equal("alias/sdk", aliases.Aliases.Single().AliasName);

        await Assert.ThrowsAsync<NotFoundException>(() => Client(HsmFixture.NewTenant()).DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }));
        var unsupported = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => kms.ListGrantsAsync(new ListGrantsRequest { KeyId = keyId }));
        Assert.Equal("UnsupportedOperationException", unsupported.ErrorCode);
    }

    private AmazonKeyManagementServiceClient Client(KmsCaller caller) => new(
        new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
        new AmazonKeyManagementServiceConfig
        {
            ServiceURL = "http://kms.test",
            AuthenticationRegion = "us-east-1",
            HttpClientFactory = new InProcessFactory(f, caller),
            MaxErrorRetry = 0,
        });

    private sealed class InProcessFactory(HsmFixture f, KmsCaller caller) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Handler(f, caller));
    }

    private sealed class Handler(HsmFixture f, KmsCaller caller) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.GetValues("X-Amz-Target").Single();
            Assert.StartsWith("TrentService.", target);
            Assert.Contains("/kms/aws4_request", string.Join(",", request.Headers.TryGetValues("Authorization", out var auth) ? auth : []));
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var response = await f.Service.Api.HandleAsync(caller, target["TrentService.".Length..], body, cancellationToken);
            var content = new ByteArrayContent(response.Json);
            content.Headers.TryAddWithoutValidation("Content-Type", "application/x-amz-json-1.1");
            var message = new HttpResponseMessage((HttpStatusCode)response.StatusCode) { Content = content, RequestMessage = request };
            message.Headers.Add("x-amzn-RequestId", Guid.NewGuid().ToString());
            return message;
        }
    }
}
