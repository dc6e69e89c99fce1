using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>Server-side encryption seen from S3 clients (AWSSDK.S3): SSE-S3, SSE-KMS, SSE-C, bucket defaults, crypto-shred.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SseTests(GatewayFixture gateway)
{
    private async Task<(AmazonS3Client S3, Amazon.KeyManagementService.AmazonKeyManagementServiceClient Kms, string Bucket)> NewBucketAsync()
    {
        var tenant = await gateway.NewTenantAsync();
        var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        return (s3, gateway.KmsClient(tenant), bucket);
    }

    private static async Task<byte[]> ReadAllAsync(GetObjectResponse r)
    {
        using var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Fact]
    public async Task PutObject_WithoutHeaders_IsSseS3WithMd5ETag()
    {
        var (s3, _, bucket) = await NewBucketAsync();
        var body = RandomNumberGenerator.GetBytes(200_000);
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "plain-request", InputStream = new MemoryStream(body) });
        Assert.Equal(ServerSideEncryptionMethod.AES256, put.ServerSideEncryptionMethod);
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(body)) + "\"", put.ETag);
        using var get = await s3.GetObjectAsync(bucket, "plain-request");
        Assert.Equal(ServerSideEncryptionMethod.AES256, get.ServerSideEncryptionMethod);
        Assert.Equal(body, await ReadAllAsync(get));
    }

    [Fact]
    public async Task PutObject_SseKmsWithKeyAndContext_ReturnsKeyArnAndReadsBack()
    {
        var (s3, kms, bucket) = await NewBucketAsync();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var context = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"project\":\"apollo\"}"));
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "kms-protected",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId,
            ServerSideEncryptionKeyManagementServiceEncryptionContext = context,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.Equal(key.Arn, put.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.NotEqual("\"" + Convert.ToHexStringLower(MD5.HashData("kms-protected"u8.ToArray())) + "\"", put.ETag);
        using var get = await s3.GetObjectAsync(bucket, "k");
        Assert.Equal("kms-protected", Encoding.UTF8.GetString(await ReadAllAsync(get)));
        Assert.Equal(key.Arn, get.ServerSideEncryptionKeyManagementServiceKeyId);
    }

    [Theory]
    [InlineData("""{"a":null}""")]
    [InlineData("""{"a":"\uD800"}""")]
    [InlineData("null")]
    [InlineData("""{"a":1}""")]
    [InlineData(null)] // {"a":"<0xFF 0xFE>"}: not UTF-8
    public async Task PutObject_MalformedEncryptionContext_IsInvalidArgument(string? json)
    {
        var (s3, kms, bucket) = await NewBucketAsync();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var context = json is null ? [.. "{\"a\":\""u8, 0xFF, 0xFE, .. "\"}"u8] : Encoding.UTF8.GetBytes(json);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "ctx", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId, ServerSideEncryptionKeyManagementServiceEncryptionContext = Convert.ToBase64String(context),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("InvalidArgument", e.ErrorCode);
    }

    [Fact]
    public async Task SseC_RightKeyReads_MissingOrWrongKeyIsRefused()
    {
        var (s3, _, bucket) = await NewBucketAsync();
        var customerKey = RandomNumberGenerator.GetBytes(32);
        var keyB64 = Convert.ToBase64String(customerKey);
        var md5 = Convert.ToBase64String(MD5.HashData(customerKey));
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "c", ContentBody = "customer-held",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = keyB64, ServerSideEncryptionCustomerProvidedKeyMD5 = md5,
        });
        using (var get = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = "c",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = keyB64, ServerSideEncryptionCustomerProvidedKeyMD5 = md5,
        }))
        {
            Assert.Equal("customer-held", Encoding.UTF8.GetString(await ReadAllAsync(get)));
        }
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "c"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var other = RandomNumberGenerator.GetBytes(32);
        var wrong = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = "c", ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = Convert.ToBase64String(other), ServerSideEncryptionCustomerProvidedKeyMD5 = Convert.ToBase64String(MD5.HashData(other)),
        }));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        var headWrong = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "c"));
        Assert.Equal(HttpStatusCode.BadRequest, headWrong.StatusCode);
    }

    [Fact]
    public async Task BucketDefaultEncryption_SseKms_AppliesToPlainPutsAndCanBeDeleted()
    {
        var (s3, kms, bucket) = await NewBucketAsync();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var before = await s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket });
        Assert.Equal(ServerSideEncryptionMethod.AES256, before.ServerSideEncryptionConfiguration.ServerSideEncryptionRules[0].ServerSideEncryptionByDefault.ServerSideEncryptionAlgorithm);
        await s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules = [new ServerSideEncryptionRule
                {
                    ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key.Arn },
                    BucketKeyEnabled = true,
                }],
            },
        });
        var rule = (await s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket })).ServerSideEncryptionConfiguration.ServerSideEncryptionRules[0];
        Assert.Equal(key.Arn, rule.ServerSideEncryptionByDefault.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.True(rule.BucketKeyEnabled);
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "d", ContentBody = "defaulted" });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.Equal(key.Arn, put.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.True(put.BucketKeyEnabled);
        await s3.DeleteBucketEncryptionAsync(new DeleteBucketEncryptionRequest { BucketName = bucket });
        Assert.Equal(ServerSideEncryptionMethod.AES256, (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "e", ContentBody = "x" })).ServerSideEncryptionMethod);
    }

    [Fact]
    public async Task RangeGet_OnEncryptedMultipartObject_AcrossPartAndPackageBoundaries()
    {
        var (s3, kms, bucket) = await NewBucketAsync();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var parts = new[] { RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 7), RandomNumberGenerator.GetBytes(300_001) };
        var whole = parts.SelectMany(p => p).ToArray();
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, init.ServerSideEncryptionMethod);
        var etags = new List<PartETag>();
        for (var i = 0; i < parts.Length; i++)
        {
            var up = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = i + 1, InputStream = new MemoryStream(parts[i]) });
            etags.Add(new PartETag(i + 1, up.ETag));
        }
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = etags });
        foreach (var (start, end) in new (long, long)[] { (0, 0), (65535, 65536), (5 * 1024 * 1024 - 3, 5 * 1024 * 1024 + 70_000), (whole.Length - 10, whole.Length - 1), (131_071, 262_145) })
        {
            using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "mp", ByteRange = new ByteRange(start, end) });
            Assert.Equal(whole[(int)start..(int)(end + 1)], await ReadAllAsync(get));
        }
        using var all = await s3.GetObjectAsync(bucket, "mp");
        Assert.Equal(whole, await ReadAllAsync(all));
    }

    [Fact]
    public async Task CopyObject_BetweenSseTypes_ReencryptsAndKeepsContent()
    {
        var (s3, kms, bucket) = await NewBucketAsync();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var body = RandomNumberGenerator.GetBytes(150_000);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "s3", InputStream = new MemoryStream(body) });
        var copy = await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "s3", DestinationBucket = bucket, DestinationKey = "kms",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key.Arn,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, copy.ServerSideEncryptionMethod);
        using var get = await s3.GetObjectAsync(bucket, "kms");
        Assert.Equal(body, await ReadAllAsync(get));
        Assert.Equal(key.Arn, get.ServerSideEncryptionKeyManagementServiceKeyId);
    }

    [Fact]
    public async Task KeyStates_DisablePendingDeletionDestroy_GetFailsAsAwsDoesHeadShowsMetadata()
    {
        var tenant = await gateway.NewTenantAsync();
        using var s3 = gateway.S3Client(tenant);
        using var kms = gateway.KmsClient(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        foreach (var objectKey in new[] { "a", "b" })
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = objectKey, ContentBody = "shred me", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
                ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId, BucketKeyEnabled = objectKey == "a",
            });
        }
        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });
        foreach (var objectKey in new[] { "a", "b" })
        {
            var disabled = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, objectKey));
            Assert.Equal("KMS.DisabledException", disabled.ErrorCode);
            Assert.Equal(HttpStatusCode.BadRequest, disabled.StatusCode);
            // HEAD shows the metadata, as AWS's does; the GET says why the data cannot be read.
            var head = await s3.GetObjectMetadataAsync(bucket, objectKey);
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
        }
        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "c", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId,
        }));
        Assert.Equal("KMS.DisabledException", put.ErrorCode);

        await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });
        using (var again = await s3.GetObjectAsync(bucket, "a"))
        {
            Assert.Equal("shred me", Encoding.UTF8.GetString(await ReadAllAsync(again)));
        }
        var immediately = int.Parse("0");
        await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = immediately });
        var pending = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "a"));
        Assert.Equal("KMS.KMSInvalidStateException", pending.ErrorCode);

        gateway.Host.Data.Kms.RunDueWork();
        // Destroyed for good: also after a restart, with every cache cold.
        await gateway.RestartAsync();
        using var after = gateway.S3Client(tenant);
        foreach (var objectKey in new[] { "a", "b" })
        {
            var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => after.GetObjectAsync(bucket, objectKey));
            Assert.StartsWith("KMS.", gone.ErrorCode);
            Assert.Equal(8, (await after.GetObjectMetadataAsync(bucket, objectKey)).ContentLength);
        }
        // The names stay listed until the tenant deletes them.
        Assert.Equal(["a", "b"], (await after.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key));
        await after.DeleteObjectAsync(bucket, "a");
    }

    [Fact]
    public async Task BucketKeys_ThousandPuts_CallTheHsmAtMostAFewTimes()
    {
        var (s3, _, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "warm", ContentBody = "w" });
        var before = gateway.Host.BucketKeys.KmsCalls;
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"o{i}", ContentBody = "small" }, ct));
        Assert.True(gateway.Host.BucketKeys.KmsCalls - before <= 2, $"{gateway.Host.BucketKeys.KmsCalls - before} KMS calls for 1000 PUTs");
    }

    [Fact]
    public async Task SseKmsWithoutBucketKey_EveryPutCallsTheHsmOnce()
    {
        var (s3, kms, bucket) = await NewBucketAsync();
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var before = gateway.Host.BucketKeys.KmsCalls;
        for (var i = 0; i < 5; i++)
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = $"n{i}", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
                ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId, BucketKeyEnabled = false,
            });
        }
        Assert.Equal(5, gateway.Host.BucketKeys.KmsCalls - before);
    }
}
