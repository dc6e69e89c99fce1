using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using CreateKeyRequest = Amazon.KeyManagementService.Model.CreateKeyRequest;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Nothing single-homed (issue 6): the metadata database is an index of what the volumes describe.
/// Delete it, run <c>csr metadata rebuild</c> as the operator would, start again: every object reads
/// back as before, deleted objects stay deleted, and the tenant's access key still works.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class MetadataRebuildTests(GatewayFixture gateway)
{
    private static readonly string s_csr = Path.Combine(AppContext.BaseDirectory, "csr.dll");

    private static Task<ExternalProcess.Result> CsrAsync(string dataDirectory, params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [s_csr, .. args, "--data", dataDirectory], timeout: TimeSpan.FromMinutes(3));

    private sealed record Expected(string Bucket, string Key, byte[] Body, string ETag, string? ContentType, Dictionary<string, string> Metadata, List<(string, string)> Tags, SseCustomer? Customer);

    private sealed record SseCustomer(string KeyBase64, string Md5Base64);

    private static async Task<byte[]> ReadAllAsync(GetObjectResponse get)
    {
        using var buffer = new MemoryStream();
        await get.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task<Expected> CaptureAsync(AmazonS3Client s3, string bucket, string key, SseCustomer? customer = null)
    {
        var request = new GetObjectRequest { BucketName = bucket, Key = key };
        if (customer is not null)
        {
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = customer.KeyBase64;
            request.ServerSideEncryptionCustomerProvidedKeyMD5 = customer.Md5Base64;
        }
        using var get = await s3.GetObjectAsync(request);
        var body = await ReadAllAsync(get);
        var metadata = get.Metadata.Keys.ToDictionary(k => k, k => get.Metadata[k]);
        var tags = (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key })).Tagging?.Select(t => (t.Key, t.Value)).ToList() ?? [];
        return new Expected(bucket, key, body, get.ETag, get.Headers.ContentType, metadata, tags, customer);
    }

    [Fact]
    public async Task Rebuild_AfterTheDatabaseIsDeleted_EveryObjectReadsBackAndDeletedOnesStayDeleted()
    {
        var tenant = await gateway.NewTenantAsync("rebuild");
        var expected = new List<Expected>();
        string bucket, encryptedBucket, kmsKeyArn;
        using (var s3 = gateway.S3Client(tenant))
        using (var kms = gateway.KmsClient(tenant))
        {
            kmsKeyArn = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.Arn;
            bucket = GatewayFixture.NewBucketName();
            encryptedBucket = GatewayFixture.NewBucketName();
            await s3.PutBucketAsync(bucket);
            await s3.PutBucketAsync(encryptedBucket);
            await s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
            {
                BucketName = encryptedBucket,
                ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
                {
                    ServerSideEncryptionRules = [new ServerSideEncryptionRule
                    {
                        ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyArn },
                        BucketKeyEnabled = true,
                    }],
                },
            });

            var plain = RandomNumberGenerator.GetBytes(300_000);
            var put = new PutObjectRequest { BucketName = bucket, Key = "sse-s3/with meta & tags", InputStream = new MemoryStream(plain), ContentType = "application/x-rebuild", TagSet = [new Tag { Key = "colour", Value = "blue" }, new Tag { Key = "n", Value = "1" }] };
            put.Metadata.Add("x-amz-meta-owner", "alice");
            await s3.PutObjectAsync(put);
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = "sse-kms", InputStream = new MemoryStream(RandomNumberGenerator.GetBytes(70_000)),
                ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyArn,
            });
            // Tags set after the PUT: the manifest on the volumes is rewritten with them.
            await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "sse-kms", Tagging = new Tagging { TagSet = [new Tag { Key = "later", Value = "yes" }] } });
            var customerKey = RandomNumberGenerator.GetBytes(32);
            var customer = new SseCustomer(Convert.ToBase64String(customerKey), Convert.ToBase64String(MD5.HashData(customerKey)));
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = "sse-c", InputStream = new MemoryStream(RandomNumberGenerator.GetBytes(5000)),
                ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = customer.KeyBase64, ServerSideEncryptionCustomerProvidedKeyMD5 = customer.Md5Base64,
            });
            var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "multipart", ContentType = "video/x-parts" });
            var parts = new[] { RandomNumberGenerator.GetBytes(5 * 1024 * 1024), RandomNumberGenerator.GetBytes(1234) };
            var etags = new List<PartETag>();
            for (var i = 0; i < parts.Length; i++)
            {
                var up = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "multipart", UploadId = init.UploadId, PartNumber = i + 1, InputStream = new MemoryStream(parts[i]) });
                etags.Add(new PartETag(i + 1, up.ETag));
            }
            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "multipart", UploadId = init.UploadId, PartETags = etags });
            await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "sse-s3/with meta & tags", DestinationBucket = encryptedBucket, DestinationKey = "copy" });
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "overwritten", ContentBody = "first version" });
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "overwritten", ContentBody = "second, newest version" });
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "deleted", ContentBody = "must not come back" });
            await s3.DeleteObjectAsync(bucket, "deleted");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "empty", InputStream = new MemoryStream([]) });
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = encryptedBucket, Key = "defaulted", ContentBody = "bucket default encryption" });

            foreach (var key in new[] { "sse-s3/with meta & tags", "sse-kms", "multipart", "overwritten", "empty" })
            {
                expected.Add(await CaptureAsync(s3, bucket, key));
            }
            expected.Add(await CaptureAsync(s3, bucket, "sse-c", customer));
            expected.Add(await CaptureAsync(s3, encryptedBucket, "copy"));
            expected.Add(await CaptureAsync(s3, encryptedBucket, "defaulted"));
            Assert.Equal("second, newest version", System.Text.Encoding.UTF8.GetString(expected.Single(e => e.Key == "overwritten").Body));
        }
        // Released shards and manifests (the deleted key, the first version) are overwritten first.
        Assert.True((await gateway.Host.Garbage.CollectNowAsync(default)).IsComplete);

        ExternalProcess.Result? rebuild = null;
        await gateway.WhileStoppedAsync(async data =>
        {
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(Path.Combine(data, "meta", "metadata.db" + suffix));
            }
            rebuild = await CsrAsync(data, "metadata", "rebuild", "--yes");
        });

        Assert.True(rebuild!.ExitCode == 0, rebuild.ToString());
        // Other tests' objects share the gateway: only this test's must all be restored.
        Assert.DoesNotContain($"skipped {bucket}/", rebuild.Stdout);
        Assert.DoesNotContain($"skipped {encryptedBucket}/", rebuild.Stdout);
        using (var s3 = gateway.S3Client(tenant))
        {
            foreach (var e in expected)
            {
                var after = await CaptureAsync(s3, e.Bucket, e.Key, e.Customer);
                Assert.Equal(e.Body, after.Body);
                Assert.Equal(e.ETag, after.ETag);
                Assert.Equal(e.ContentType, after.ContentType);
                Assert.Equal(e.Metadata, after.Metadata);
                Assert.Equal(e.Tags, after.Tags);
                Assert.NotEmpty(e.Key == "sse-kms" ? e.Tags : [("", "")]);
            }
            var deleted = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "deleted"));
            Assert.Equal(HttpStatusCode.NotFound, deleted.StatusCode);
            var listed = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key).ToList();
            Assert.Equal(["empty", "multipart", "overwritten", "sse-c", "sse-kms", "sse-s3/with meta & tags"], listed);
            var rule = (await s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = encryptedBucket })).ServerSideEncryptionConfiguration.ServerSideEncryptionRules[0];
            Assert.Equal(kmsKeyArn, rule.ServerSideEncryptionByDefault.ServerSideEncryptionKeyManagementServiceKeyId);
            // Still writable, and the rebuilt index keeps recording manifests.
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "after-rebuild", ContentBody = "new" });
        }
    }

    [Fact]
    public async Task Rebuild_WhileTheGatewayRuns_IsRefusedAndTouchesNothing()
    {
        var database = Path.Combine(gateway.DataDirectory, "meta", "metadata.db");
        var before = File.GetLastWriteTimeUtc(database);

        var result = await CsrAsync(gateway.DataDirectory, "metadata", "rebuild", "--yes");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("a gateway is running", result.Stderr);
        Assert.True(File.Exists(database));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(database)!, "metadata.db.before-rebuild-*"));
        Assert.True(File.GetLastWriteTimeUtc(database) >= before);
    }
}
