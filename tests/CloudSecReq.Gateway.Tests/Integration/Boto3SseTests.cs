using System.Security.Cryptography;
using System.Text.Json;
using Amazon.KeyManagementService.Model;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Server-side encryption driven by boto3 (python3 from PATH): SSE-S3, SSE-KMS with context and
/// bucket key, SSE-C, multipart ranges, copy across SSE types and bucket default encryption. The
/// scripts are under Clients/boto3 (sse_*.py); KMS keys are made here with AWSSDK so that the test
/// knows their ARNs independently of the client under test.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class Boto3SseTests(GatewayFixture gateway)
{
    private async Task<(NewCredentials Tenant, KeyMetadata Key)> NewTenantWithKeyAsync()
    {
        var tenant = await gateway.NewTenantAsync();
        using var kms = gateway.KmsClient(tenant);
        return (tenant, (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata);
    }

    private async Task<JsonElement> RunScenarioAsync(NewCredentials tenant, string script, params string[] args)
    {
        var env = gateway.ClientEnvironment(tenant);
        env["PYTHONDONTWRITEBYTECODE"] = "1"; // no __pycache__ in the source tree
        var r = await ExternalProcess.RunAsync("python3", [ClientScripts.PathOf(Path.Combine("boto3", script)), .. args], env, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, $"{script}\n{r}");
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    private static string Md5ETag(byte[] body) => $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";

    private static string? Field(JsonElement response, string name) =>
        response.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.True ? "true" : v.ValueKind == JsonValueKind.False ? "false" : v.GetString() : null;

    [Fact]
    public async Task Boto3PutObject_SseS3SseKmsSseC_GetAndHeadEchoTheEncryption()
    {
        var (tenant, key) = await NewTenantWithKeyAsync();
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("in.bin", 150_001);
        var customerKey = dir.WriteRandom("customer.key", 32);
        var customerKeyMd5 = Convert.ToBase64String(MD5.HashData(customerKey));
        var r = await RunScenarioAsync(tenant, "sse_put_get_head.py", GatewayFixture.NewBucketName(), dir["in.bin"], key.KeyId, dir["customer.key"], dir.Path);

        foreach (var name in new[] { "aes256", "kms", "ssec" })
        {
            Assert.Equal(body, await File.ReadAllBytesAsync(dir[name + ".bin"]));
        }

        var aes = r.GetProperty("aes256");
        foreach (var step in new[] { "Put", "Get", "Head" })
        {
            Assert.Equal("AES256", Field(aes.GetProperty(step), "ServerSideEncryption"));
            Assert.Null(Field(aes.GetProperty(step), "SSEKMSKeyId"));
            Assert.Equal(Md5ETag(body), Field(aes.GetProperty(step), "ETag"));
        }

        var kms = r.GetProperty("kms");
        foreach (var step in new[] { "Put", "Get", "Head" })
        {
            Assert.Equal("aws:kms", Field(kms.GetProperty(step), "ServerSideEncryption"));
            Assert.Equal(key.Arn, Field(kms.GetProperty(step), "SSEKMSKeyId"));
            Assert.Equal("true", Field(kms.GetProperty(step), "BucketKeyEnabled"));
            // SSE-KMS ETags are not the MD5 of the plaintext.
            Assert.NotEqual(Md5ETag(body), Field(kms.GetProperty(step), "ETag"));
        }
        Assert.Equal(Field(kms.GetProperty("Put"), "ETag"), Field(kms.GetProperty("Get"), "ETag"));
        var context = JsonDocument.Parse(Convert.FromBase64String(Field(kms.GetProperty("Put"), "SSEKMSEncryptionContext")!)).RootElement;
        Assert.Equal("apollo", context.GetProperty("project").GetString());

        var ssec = r.GetProperty("ssec");
        foreach (var step in new[] { "Put", "Get", "Head" })
        {
            Assert.Equal("AES256", Field(ssec.GetProperty(step), "SSECustomerAlgorithm"));
            Assert.Equal(customerKeyMd5, Field(ssec.GetProperty(step), "SSECustomerKeyMD5"));
            Assert.Null(Field(ssec.GetProperty(step), "ServerSideEncryption"));
            Assert.NotEqual(Md5ETag(body), Field(ssec.GetProperty(step), "ETag"));
        }
        Assert.Equal("InvalidRequest", ssec.GetProperty("GetWithoutKey").GetProperty("Code").GetString());
        Assert.Equal(400, ssec.GetProperty("GetWithoutKey").GetProperty("Status").GetInt32());
        Assert.Equal(400, ssec.GetProperty("HeadWithoutKey").GetProperty("Status").GetInt32());
    }

    [Fact]
    public async Task Boto3UploadFile_SseKmsMultipart_RangedGetsAcrossPartBoundariesMatchSource()
    {
        var (tenant, key) = await NewTenantWithKeyAsync();
        using var dir = new ScratchDirectory();
        const int size = 12 * 1024 * 1024;
        const int part = 5 * 1024 * 1024;
        var body = dir.WriteRandom("in.bin", size);
        (int First, int Last)[] ranges =
        [
            (part - 100, part + 99),             // across the 1st/2nd part boundary
            (2 * part - 65_537, 2 * part + 65_536), // across the 2nd/3rd part and several 64 KiB packages
            (0, 0),
            (size - 1, size - 1),
            (65_535, 131_072),                   // package boundaries inside part 1
        ];
        var r = await RunScenarioAsync(tenant, "sse_kms_upload_file_ranges.py",
            [GatewayFixture.NewBucketName(), dir["in.bin"], key.KeyId, dir.Path, .. ranges.Select(x => $"{x.First}-{x.Last}")]);

        var head = r.GetProperty("Head");
        Assert.Equal(size, head.GetProperty("ContentLength").GetInt64());
        Assert.Equal("aws:kms", Field(head, "ServerSideEncryption"));
        Assert.Equal(key.Arn, Field(head, "SSEKMSKeyId"));
        // Three parts of 5, 5 and 2 MiB: the multipart ETag form.
        Assert.Matches("^\"[0-9a-f]{32}-3\"$", Field(head, "ETag"));
        Assert.Equal(0, r.GetProperty("OpenUploads").GetInt32());
        var gets = r.GetProperty("Ranges").EnumerateArray().ToList();
        Assert.Equal(ranges.Length, gets.Count);
        for (var i = 0; i < ranges.Length; i++)
        {
            var (first, last) = ranges[i];
            Assert.Equal(body[first..(last + 1)], await File.ReadAllBytesAsync(dir[$"range-{i}.bin"]));
            Assert.Equal($"bytes {first}-{last}/{size}", gets[i].GetProperty("ContentRange").GetString());
            Assert.Equal(last - first + 1, gets[i].GetProperty("ContentLength").GetInt64());
            Assert.Equal("aws:kms", Field(gets[i], "ServerSideEncryption"));
            Assert.Equal(key.Arn, Field(gets[i], "SSEKMSKeyId"));
        }
    }

    [Fact]
    public async Task Boto3CopyObject_SseCSourceToSseKmsDestination_ReencryptsAndKeepsContent()
    {
        var (tenant, key) = await NewTenantWithKeyAsync();
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("in.bin", 200_003);
        var customerKey = dir.WriteRandom("customer.key", 32);
        var r = await RunScenarioAsync(tenant, "sse_copy_ssec_to_kms.py", GatewayFixture.NewBucketName(), dir["in.bin"], key.KeyId, dir["customer.key"], dir["out.bin"]);

        Assert.Equal(body, await File.ReadAllBytesAsync(dir["out.bin"]));
        Assert.Equal("AES256", Field(r.GetProperty("SourcePut"), "SSECustomerAlgorithm"));
        Assert.Equal(Convert.ToBase64String(MD5.HashData(customerKey)), Field(r.GetProperty("SourcePut"), "SSECustomerKeyMD5"));
        // Reading an SSE-C source needs its key, also for a copy.
        Assert.Equal("InvalidRequest", r.GetProperty("CopyWithoutSourceKey").GetProperty("Code").GetString());
        Assert.Equal(400, r.GetProperty("CopyWithoutSourceKey").GetProperty("Status").GetInt32());
        foreach (var step in new[] { "Copy", "Get", "Head" })
        {
            var response = r.GetProperty(step);
            Assert.Equal("aws:kms", Field(response, "ServerSideEncryption"));
            Assert.Equal(key.Arn, Field(response, "SSEKMSKeyId"));
            // The destination is SSE-KMS only: no SSE-C headers echoed.
            Assert.Null(Field(response, "SSECustomerAlgorithm"));
            Assert.Null(Field(response, "SSECustomerKeyMD5"));
        }
        Assert.Equal(Field(r.GetProperty("Copy"), "CopyObjectResultETag"), Field(r.GetProperty("Get"), "ETag"));
    }

    [Fact]
    public async Task Boto3PutBucketEncryption_SseKmsByAlias_PlainPutIsSseKmsUntilDeleted()
    {
        var (tenant, key) = await NewTenantWithKeyAsync();
        var alias = "alias/boto3-default-" + Guid.NewGuid().ToString("N")[..8];
        using (var kms = gateway.KmsClient(tenant))
        {
            await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyId });
        }
        var r = await RunScenarioAsync(tenant, "sse_bucket_default.py", GatewayFixture.NewBucketName(), alias);

        var rule = r.GetProperty("Rule");
        Assert.Equal("aws:kms", rule.GetProperty("ApplyServerSideEncryptionByDefault").GetProperty("SSEAlgorithm").GetString());
        Assert.Equal(alias, rule.GetProperty("ApplyServerSideEncryptionByDefault").GetProperty("KMSMasterKeyID").GetString());
        Assert.True(rule.GetProperty("BucketKeyEnabled").GetBoolean());
        foreach (var step in new[] { "Put", "Get" })
        {
            // The object names the key the alias pointed at, as its ARN.
            Assert.Equal("aws:kms", Field(r.GetProperty(step), "ServerSideEncryption"));
            Assert.Equal(key.Arn, Field(r.GetProperty(step), "SSEKMSKeyId"));
            Assert.Equal("true", Field(r.GetProperty(step), "BucketKeyEnabled"));
        }
        Assert.Equal("encrypted by the bucket default", r.GetProperty("GetBody").GetString());

        // Without a configuration a bucket still encrypts: SSE-S3, as AWS reports it.
        var after = r.GetProperty("RuleAfterDelete");
        Assert.Equal("AES256", after.GetProperty("ApplyServerSideEncryptionByDefault").GetProperty("SSEAlgorithm").GetString());
        Assert.False(after.GetProperty("ApplyServerSideEncryptionByDefault").TryGetProperty("KMSMasterKeyID", out _));
        Assert.Equal("AES256", Field(r.GetProperty("PutAfterDelete"), "ServerSideEncryption"));
        Assert.Null(Field(r.GetProperty("PutAfterDelete"), "SSEKMSKeyId"));
        Assert.Equal(Md5ETag("x"u8.ToArray()), Field(r.GetProperty("PutAfterDelete"), "ETag"));
    }
}
