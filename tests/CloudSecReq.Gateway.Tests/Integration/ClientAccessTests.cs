using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Authentication and authorisation failures as a real client (aws cli) meets them. Set-up and
/// the owner's checks go through AWSSDK.S3 to keep the number of (slow to start) cli runs down.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ClientAccessTests(GatewayFixture gateway)
{
    /// <summary>A tenant with a bucket holding <c>secret.txt</c>; returns the tenant's env, the bucket and a file to upload.</summary>
    private async Task<(Dictionary<string, string> Env, string TenantName, string Bucket, ScratchDirectory Dir)> NewTenantWithObjectAsync()
    {
        var tenant = await gateway.NewTenantAsync();
        var env = gateway.ClientEnvironment(tenant);
        var bucket = GatewayFixture.NewBucketName();
        var dir = new ScratchDirectory();
        await File.WriteAllTextAsync(dir["secret.txt"], "tenant A's data");
        using var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "secret.txt", ContentBody = "tenant A's data" });
        return (env, tenant.TenantName, bucket, dir);
    }

    private AmazonS3Client Sdk(Dictionary<string, string> env) => gateway.S3Client(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]);

    private async Task<string[]> KeysAsync(Dictionary<string, string> env, string bucket)
    {
        using var s3 = Sdk(env);
        return [.. ((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []).Select(o => o.Key)];
    }

    private async Task<string> ReadAsync(Dictionary<string, string> env, string bucket, string objectKey)
    {
        using var s3 = Sdk(env);
        using var get = await s3.GetObjectAsync(bucket, objectKey);
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }

    [Fact]
    public async Task AwsCli_WrongSecret_FailsWithSignatureDoesNotMatch()
    {
        var (env, _, bucket, dir) = await NewTenantWithObjectAsync();
        using var owned = dir;
        var wrong = new Dictionary<string, string>(env) { ["AWS_SECRET_ACCESS_KEY"] = env["AWS_SECRET_ACCESS_KEY"][..^4] + "AAAA" };
        Assert.NotEqual(env["AWS_SECRET_ACCESS_KEY"], wrong["AWS_SECRET_ACCESS_KEY"]);
        await AwsCli.FailsWithAsync("SignatureDoesNotMatch", wrong, "s3api", "list-objects-v2", "--bucket", bucket);
        await AwsCli.FailsWithAsync("SignatureDoesNotMatch", wrong, "s3", "ls");
        await AwsCli.FailsWithAsync("SignatureDoesNotMatch", wrong, "s3api", "put-object", "--bucket", bucket, "--key", "x", "--body", dir["secret.txt"]);
    }

    [Fact]
    public async Task AwsCli_UnknownAccessKey_FailsWithInvalidAccessKeyId()
    {
        var (env, _, bucket, dir) = await NewTenantWithObjectAsync();
        using var owned = dir;
        var unknown = new Dictionary<string, string>(env) { ["AWS_ACCESS_KEY_ID"] = "AKIA" + Guid.NewGuid().ToString("N")[..16].ToUpperInvariant() };
        await AwsCli.FailsWithAsync("InvalidAccessKeyId", unknown, "s3api", "get-object", "--bucket", bucket, "--key", "secret.txt", dir["out"]);
        await AwsCli.FailsWithAsync("InvalidAccessKeyId", unknown, "s3", "ls");
        Assert.False(File.Exists(dir["out"]) && new FileInfo(dir["out"]).Length > 0);
    }

    [Fact]
    public async Task AwsCli_OtherTenant_CannotListReadWriteDeleteOrSeeBucket()
    {
        var (ownerEnv, _, bucket, dir) = await NewTenantWithObjectAsync();
        using var owned = dir;
        var other = gateway.ClientEnvironment(await gateway.NewTenantAsync());

        await AwsCli.FailsWithAsync("AccessDenied", other, "s3api", "list-objects-v2", "--bucket", bucket);
        await AwsCli.FailsWithAsync("AccessDenied", other, "s3api", "get-object", "--bucket", bucket, "--key", "secret.txt", dir["stolen"]);
        await AwsCli.FailsWithAsync("AccessDenied", other, "s3api", "put-object", "--bucket", bucket, "--key", "secret.txt", "--body", dir["secret.txt"]);
        await AwsCli.FailsWithAsync("AccessDenied", other, "s3api", "delete-object", "--bucket", bucket, "--key", "secret.txt");
        await AwsCli.FailsWithAsync("AccessDenied", other, "s3api", "delete-bucket", "--bucket", bucket);
        using (var otherSdk = Sdk(other))
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => otherSdk.InitiateMultipartUploadAsync(bucket, "mp"));
            Assert.Equal("AccessDenied", e.ErrorCode);
        }
        Assert.DoesNotContain(bucket, await AwsCli.OkAsync(other, "s3", "ls"));
        // Creating the same name is refused too: bucket names are global.
        var taken = await AwsCli.RunAsync(other, "s3api", "create-bucket", "--bucket", bucket);
        Assert.NotEqual(0, taken.ExitCode);
        Assert.Contains("BucketAlreadyExists", taken.Stderr);

        // The owner's data is untouched.
        Assert.Equal(["secret.txt"], await KeysAsync(ownerEnv, bucket));
        Assert.Equal("tenant A's data", await ReadAsync(ownerEnv, bucket, "secret.txt"));
        Assert.Contains(bucket, await AwsCli.OkAsync(ownerEnv, "s3", "ls"));
    }

    [Fact]
    public async Task AwsCli_ReadOnlyUser_GetsButCannotPutOrDelete()
    {
        var (rootEnv, tenantName, bucket, dir) = await NewTenantWithObjectAsync();
        using var owned = dir;
        var reader = gateway.ClientEnvironment(await gateway.NewUserAsync(tenantName, new UserPolicy(ReadOnly: true, null)));

        await AwsCli.JsonAsync(reader, "get-object", "--bucket", bucket, "--key", "secret.txt", dir["read"]);
        Assert.Equal("tenant A's data", await File.ReadAllTextAsync(dir["read"]));
        Assert.Contains("secret.txt", await AwsCli.OkAsync(reader, "s3", "ls", $"s3://{bucket}"));
        await AwsCli.FailsWithAsync("AccessDenied", reader, "s3api", "put-object", "--bucket", bucket, "--key", "new.txt", "--body", dir["secret.txt"]);
        await AwsCli.FailsWithAsync("AccessDenied", reader, "s3api", "delete-object", "--bucket", bucket, "--key", "secret.txt");
        var cp = await AwsCli.RunAsync(reader, "s3", "cp", dir["secret.txt"], $"s3://{bucket}/cp.txt", "--only-show-errors", "--no-progress");
        Assert.NotEqual(0, cp.ExitCode);
        Assert.Contains("AccessDenied", cp.Stderr);
        using (var readerSdk = Sdk(reader))
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => readerSdk.PutBucketAsync(GatewayFixture.NewBucketName()));
            Assert.Equal("AccessDenied", e.ErrorCode);
        }
        Assert.Equal(["secret.txt"], await KeysAsync(rootEnv, bucket));
    }

    [Fact]
    public async Task AwsCli_BucketLimitedUser_CannotTouchOtherBucket()
    {
        var (rootEnv, tenantName, bucketA, dir) = await NewTenantWithObjectAsync();
        using var owned = dir;
        var bucketB = GatewayFixture.NewBucketName();
        using (var root = Sdk(rootEnv))
        {
            await root.PutBucketAsync(bucketB);
            await root.PutObjectAsync(new PutObjectRequest { BucketName = bucketB, Key = "b.txt", ContentBody = "b" });
        }
        var limited = gateway.ClientEnvironment(await gateway.NewUserAsync(tenantName, new UserPolicy(false, [bucketA])));

        await AwsCli.JsonAsync(limited, "put-object", "--bucket", bucketA, "--key", "mine.txt", "--body", dir["secret.txt"]);
        await AwsCli.JsonAsync(limited, "get-object", "--bucket", bucketA, "--key", "mine.txt", dir["mine"]);
        Assert.Equal("tenant A's data", await File.ReadAllTextAsync(dir["mine"]));

        await AwsCli.FailsWithAsync("AccessDenied", limited, "s3api", "list-objects-v2", "--bucket", bucketB);
        await AwsCli.FailsWithAsync("AccessDenied", limited, "s3api", "get-object", "--bucket", bucketB, "--key", "b.txt", dir["b"]);
        await AwsCli.FailsWithAsync("AccessDenied", limited, "s3api", "put-object", "--bucket", bucketB, "--key", "x.txt", "--body", dir["secret.txt"]);
        await AwsCli.FailsWithAsync("AccessDenied", limited, "s3api", "delete-object", "--bucket", bucketB, "--key", "b.txt");
        await AwsCli.FailsWithAsync("AccessDenied", limited, "s3api", "delete-bucket", "--bucket", bucketB);
        Assert.Equal(["b.txt"], await KeysAsync(rootEnv, bucketB));
        Assert.Equal("b", await ReadAsync(rootEnv, bucketB, "b.txt"));
    }
}
