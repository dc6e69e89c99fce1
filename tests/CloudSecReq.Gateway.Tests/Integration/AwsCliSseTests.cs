using System.Security.Cryptography;
using System.Text.Json;
using Amazon.KeyManagementService.Model;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Server-side encryption driven by the real aws cli (v1, from PATH): <c>aws s3 cp --sse</c>,
/// <c>--sse aws:kms --sse-kms-key-id</c>, <c>--sse-c</c>, bucket default encryption, ranged GETs of
/// encrypted multipart objects, and crypto-shred through <c>aws kms disable-key</c>. Each cli run
/// costs over a second of start-up, so setup that is not under test goes through AWSSDK.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AwsCliSseTests(GatewayFixture gateway)
{
    // aws cli's default multipart_threshold and multipart_chunksize.
    private const int CliPartBytes = 8 * 1024 * 1024;

    private static readonly string[] s_quiet = ["--only-show-errors", "--no-progress"];

    /// <summary>A new tenant with one bucket (made through AWSSDK) and the cli environment for it.</summary>
    private async Task<(NewCredentials Tenant, Dictionary<string, string> Env)> NewTenantWithBucketAsync(string bucket)
    {
        var tenant = await gateway.NewTenantAsync();
        using var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync(bucket);
        return (tenant, gateway.ClientEnvironment(tenant));
    }

    private async Task<KeyMetadata> CreateKmsKeyAsync(NewCredentials tenant)
    {
        using var kms = gateway.KmsClient(tenant);
        return (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
    }

    /// <summary>Runs an <c>aws kms</c> command, asserts success and parses its JSON output.</summary>
    private static async Task<JsonElement> KmsJsonAsync(Dictionary<string, string> env, params string[] args)
    {
        var stdout = await AwsCli.OkAsync(env, ["kms", .. args, "--output", "json"]);
        return stdout.Trim().Length == 0 ? default : JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static string Md5ETag(byte[] body) => $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";

    private static string? Field(JsonElement response, string name) =>
        response.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.True ? "true" : v.ValueKind == JsonValueKind.False ? "false" : v.GetString() : null;

    [Fact]
    public async Task AwsS3CpSseAes256_UploadAndDownload_StoredAsSseS3WithMd5ETag()
    {
        var bucket = GatewayFixture.NewBucketName();
        var (_, env) = await NewTenantWithBucketAsync(bucket);
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("in.bin", 100_003);

        await AwsCli.OkAsync(env, ["s3", "cp", dir["in.bin"], $"s3://{bucket}/sse-s3.bin", "--sse", "AES256", .. s_quiet]);
        var head = await AwsCli.JsonAsync(env, "head-object", "--bucket", bucket, "--key", "sse-s3.bin");
        Assert.Equal("AES256", Field(head, "ServerSideEncryption"));
        Assert.Null(Field(head, "SSEKMSKeyId"));
        Assert.Equal(Md5ETag(body), Field(head, "ETag"));
        Assert.Equal(body.Length, head.GetProperty("ContentLength").GetInt64());

        await AwsCli.OkAsync(env, ["s3", "cp", $"s3://{bucket}/sse-s3.bin", dir["out.bin"], .. s_quiet]);
        Assert.Equal(body, await File.ReadAllBytesAsync(dir["out.bin"]));
    }

    [Fact]
    public async Task AwsS3CpSseKms_KeyFromAwsKmsCreateKeyByAliasAndById_HeadShowsKeyArn()
    {
        var bucket = GatewayFixture.NewBucketName();
        var (_, env) = await NewTenantWithBucketAsync(bucket);
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("in.bin", 70_001);

        var key = (await KmsJsonAsync(env, "create-key", "--description", "aws cli sse test")).GetProperty("KeyMetadata");
        var keyId = key.GetProperty("KeyId").GetString()!;
        var keyArn = key.GetProperty("Arn").GetString()!;
        var alias = "alias/cli-sse-" + Guid.NewGuid().ToString("N")[..8];
        await AwsCli.OkAsync(env, "kms", "create-alias", "--alias-name", alias, "--target-key-id", keyId);

        foreach (var (objectKey, keySpec) in new[] { ("by-alias.bin", alias), ("by-id.bin", keyId) })
        {
            await AwsCli.OkAsync(env, ["s3", "cp", dir["in.bin"], $"s3://{bucket}/{objectKey}", "--sse", "aws:kms", "--sse-kms-key-id", keySpec, .. s_quiet]);
            var head = await AwsCli.JsonAsync(env, "head-object", "--bucket", bucket, "--key", objectKey);
            Assert.Equal("aws:kms", Field(head, "ServerSideEncryption"));
            Assert.Equal(keyArn, Field(head, "SSEKMSKeyId"));
            // SSE-KMS ETags are not the MD5 of the plaintext.
            Assert.NotEqual(Md5ETag(body), Field(head, "ETag"));
        }

        await AwsCli.OkAsync(env, ["s3", "cp", $"s3://{bucket}/by-alias.bin", dir["out.bin"], .. s_quiet]);
        Assert.Equal(body, await File.ReadAllBytesAsync(dir["out.bin"]));
    }

    [Fact]
    public async Task AwsS3CpSseC_WithKeyRoundTrips_DownloadWithoutKeyFails()
    {
        var bucket = GatewayFixture.NewBucketName();
        var (_, env) = await NewTenantWithBucketAsync(bucket);
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("in.bin", 90_001);
        var customerKey = dir.WriteRandom("key.bin", 32);
        string[] sseC = ["--sse-c", "AES256", "--sse-c-key", "fileb://" + dir["key.bin"]];

        await AwsCli.OkAsync(env, ["s3", "cp", dir["in.bin"], $"s3://{bucket}/ssec.bin", .. sseC, .. s_quiet]);
        var head = await AwsCli.JsonAsync(env, "head-object", "--bucket", bucket, "--key", "ssec.bin",
            "--sse-customer-algorithm", "AES256", "--sse-customer-key", "fileb://" + dir["key.bin"]);
        Assert.Equal("AES256", Field(head, "SSECustomerAlgorithm"));
        Assert.Equal(Convert.ToBase64String(MD5.HashData(customerKey)), Field(head, "SSECustomerKeyMD5"));
        Assert.Null(Field(head, "ServerSideEncryption"));
        Assert.NotEqual(Md5ETag(body), Field(head, "ETag"));

        await AwsCli.OkAsync(env, ["s3", "cp", $"s3://{bucket}/ssec.bin", dir["out.bin"], .. sseC, .. s_quiet]);
        Assert.Equal(body, await File.ReadAllBytesAsync(dir["out.bin"]));

        // The cli's HeadObject before the download is refused with 400 (a HEAD error has no body to name the code).
        var without = await AwsCli.RunAsync(env, ["s3", "cp", $"s3://{bucket}/ssec.bin", dir["nokey.bin"], .. s_quiet]);
        Assert.True(without.ExitCode != 0, without.ToString());
        Assert.Contains("(400)", without.Stderr);
        Assert.False(File.Exists(dir["nokey.bin"]));
        await AwsCli.FailsWithAsync("InvalidRequest", env, "s3api", "get-object", "--bucket", bucket, "--key", "ssec.bin", dir["nokey.bin"]);
        Assert.False(File.Exists(dir["nokey.bin"]));
    }

    [Fact]
    public async Task AwsS3ApiBucketEncryption_PutGetDelete_PlainCpFollowsTheDefault()
    {
        var bucket = GatewayFixture.NewBucketName();
        var (tenant, env) = await NewTenantWithBucketAsync(bucket);
        var key = await CreateKmsKeyAsync(tenant);
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("in.bin", 40_000);
        await File.WriteAllTextAsync(dir["encryption.json"], JsonSerializer.Serialize(new
        {
            Rules = new[] { new { ApplyServerSideEncryptionByDefault = new { SSEAlgorithm = "aws:kms", KMSMasterKeyID = key.KeyId }, BucketKeyEnabled = true } },
        }));

        await AwsCli.JsonAsync(env, "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration", "file://" + dir["encryption.json"]);
        var rule = (await AwsCli.JsonAsync(env, "get-bucket-encryption", "--bucket", bucket))
            .GetProperty("ServerSideEncryptionConfiguration").GetProperty("Rules")[0];
        Assert.Equal("aws:kms", rule.GetProperty("ApplyServerSideEncryptionByDefault").GetProperty("SSEAlgorithm").GetString());
        Assert.Equal(key.KeyId, rule.GetProperty("ApplyServerSideEncryptionByDefault").GetProperty("KMSMasterKeyID").GetString());
        Assert.True(rule.GetProperty("BucketKeyEnabled").GetBoolean());

        await AwsCli.OkAsync(env, ["s3", "cp", dir["in.bin"], $"s3://{bucket}/defaulted.bin", .. s_quiet]);
        var head = await AwsCli.JsonAsync(env, "head-object", "--bucket", bucket, "--key", "defaulted.bin");
        Assert.Equal("aws:kms", Field(head, "ServerSideEncryption"));
        Assert.Equal(key.Arn, Field(head, "SSEKMSKeyId"));
        Assert.Equal("true", Field(head, "BucketKeyEnabled"));

        await AwsCli.JsonAsync(env, "delete-bucket-encryption", "--bucket", bucket);
        // Every bucket encrypts: without a configuration AWS reports (and applies) SSE-S3.
        var after = (await AwsCli.JsonAsync(env, "get-bucket-encryption", "--bucket", bucket))
            .GetProperty("ServerSideEncryptionConfiguration").GetProperty("Rules")[0];
        Assert.Equal("AES256", after.GetProperty("ApplyServerSideEncryptionByDefault").GetProperty("SSEAlgorithm").GetString());
        await AwsCli.OkAsync(env, ["s3", "cp", dir["in.bin"], $"s3://{bucket}/after-delete.bin", .. s_quiet]);
        var headAfter = await AwsCli.JsonAsync(env, "head-object", "--bucket", bucket, "--key", "after-delete.bin");
        Assert.Equal("AES256", Field(headAfter, "ServerSideEncryption"));
        Assert.Null(Field(headAfter, "SSEKMSKeyId"));
        Assert.Equal(Md5ETag(body), Field(headAfter, "ETag"));

        using var s3 = gateway.S3Client(tenant);
        foreach (var objectKey in new[] { "defaulted.bin", "after-delete.bin" })
        {
            using var get = await s3.GetObjectAsync(bucket, objectKey);
            using var ms = new MemoryStream();
            await get.ResponseStream.CopyToAsync(ms);
            Assert.Equal(body, ms.ToArray());
        }
    }

    [Fact]
    public async Task AwsS3ApiGetObjectRange_SseKmsMultipartFromCp_ReturnsTheSourceBytes()
    {
        var bucket = GatewayFixture.NewBucketName();
        var (tenant, env) = await NewTenantWithBucketAsync(bucket);
        var key = await CreateKmsKeyAsync(tenant);
        using var dir = new ScratchDirectory();
        const int size = CliPartBytes + 300_001;
        var body = dir.WriteRandom("big.bin", size);

        await AwsCli.OkAsync(env, ["s3", "cp", dir["big.bin"], $"s3://{bucket}/big.bin", "--sse", "aws:kms", "--sse-kms-key-id", key.KeyId, .. s_quiet]);
        var head = await AwsCli.JsonAsync(env, "head-object", "--bucket", bucket, "--key", "big.bin");
        Assert.Equal(size, head.GetProperty("ContentLength").GetInt64());
        Assert.Equal("aws:kms", Field(head, "ServerSideEncryption"));
        Assert.Equal(key.Arn, Field(head, "SSEKMSKeyId"));
        // Two parts (8 MiB and the rest): the multipart ETag form shows the cli went multipart.
        Assert.Matches("^\"[0-9a-f]{32}-2\"$", Field(head, "ETag"));

        foreach (var (first, last) in new[] { (CliPartBytes - 70_000, CliPartBytes + 70_000), (size - 65_537, size - 1) })
        {
            var file = dir[$"range-{first}.bin"];
            var get = await AwsCli.JsonAsync(env, "get-object", "--bucket", bucket, "--key", "big.bin", "--range", $"bytes={first}-{last}", file);
            Assert.Equal(body[first..(last + 1)], await File.ReadAllBytesAsync(file));
            Assert.Equal($"bytes {first}-{last}/{size}", Field(get, "ContentRange"));
            Assert.Equal(last - first + 1, get.GetProperty("ContentLength").GetInt64());
            Assert.Equal("aws:kms", Field(get, "ServerSideEncryption"));
            Assert.Equal(key.Arn, Field(get, "SSEKMSKeyId"));
        }
    }

    [Fact]
    public async Task AwsKmsDisableKey_SseKmsObject_CpFailsWithDisabledExceptionUntilEnableKey()
    {
        var bucket = GatewayFixture.NewBucketName();
        var (tenant, env) = await NewTenantWithBucketAsync(bucket);
        var key = await CreateKmsKeyAsync(tenant);
        var text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"shred line {i}\n"));
        using (var s3 = gateway.S3Client(tenant))
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = "doc.txt", ContentBody = text,
                ServerSideEncryptionMethod = Amazon.S3.ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId,
            });
        }

        await KmsJsonAsync(env, "disable-key", "--key-id", key.KeyId);
        using var dir = new ScratchDirectory();
        await AwsCli.FailsWithAsync("KMS.DisabledException", env, "s3api", "get-object", "--bucket", bucket, "--key", "doc.txt", dir["doc.txt"]);
        Assert.False(File.Exists(dir["doc.txt"]));
        // aws s3 cp HEADs the object before its GET; in AWS the HEAD needs no key and succeeds, so the
        // GET's KMS error is what the cli reports.
        var disabled = await AwsCli.RunAsync(env, "s3", "cp", $"s3://{bucket}/doc.txt", "-");
        Assert.True(disabled.ExitCode != 0, disabled.ToString());
        Assert.True(disabled.Stderr.Contains("KMS.DisabledException", StringComparison.Ordinal), disabled.ToString());
        Assert.Equal("", disabled.Stdout);

        await KmsJsonAsync(env, "enable-key", "--key-id", key.KeyId);
        var enabled = await AwsCli.RunAsync(env, "s3", "cp", $"s3://{bucket}/doc.txt", "-");
        Assert.True(enabled.ExitCode == 0, enabled.ToString());
        Assert.Equal(text, enabled.Stdout);
    }
}
