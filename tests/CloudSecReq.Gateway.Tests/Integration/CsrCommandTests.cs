using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The csr admin command, run as its own process against the running gateway's data directory.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CsrCommandTests(GatewayFixture gateway)
{
    private static readonly string s_csr = Path.Combine(AppContext.BaseDirectory, "csr.dll");

    private Task<ExternalProcess.Result> CsrAsync(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [s_csr, .. args, "--data", gateway.DataDirectory]);

    [Fact]
    public async Task TenantAndUserCreate_PrintCredentialsThatWorkAgainstTheRunningGateway()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var created = await CsrAsync("tenant", "create", name);
        Assert.True(created.ExitCode == 0, created.ToString());
        string Value(string output, string key) => output.Split('\n').Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..].Trim();
        var akid = Value(created.Stdout, "AWS_ACCESS_KEY_ID");
        var secret = Value(created.Stdout, "AWS_SECRET_ACCESS_KEY");
        using var s3 = gateway.S3Client(akid, secret);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);

        var reader = await CsrAsync("user", "create", "--tenant", name, "reader", "--read-only");
        Assert.True(reader.ExitCode == 0, reader.ToString());
        using var readOnly = gateway.S3Client(Value(reader.Stdout, "AWS_ACCESS_KEY_ID"), Value(reader.Stdout, "AWS_SECRET_ACCESS_KEY"));
        Assert.Contains((await readOnly.ListBucketsAsync()).Buckets, b => b.BucketName == bucket);
        var denied = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => readOnly.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "x", ContentBody = "x" }));
        Assert.Equal("AccessDenied", denied.ErrorCode);

        var tenants = await CsrAsync("tenant", "list");
        Assert.Contains(name, tenants.Stdout);
        var users = await CsrAsync("user", "list", "--tenant", name);
        Assert.Contains("reader", users.Stdout);
        Assert.Contains("read-only", users.Stdout);
        Assert.DoesNotContain(secret, tenants.Stdout + users.Stdout);
    }

    [Fact]
    public async Task KeyDependents_ListsObjectsEncryptedUnderTheKey()
    {
        var tenant = await gateway.NewTenantAsync("dep");
        using var s3 = gateway.S3Client(tenant);
        using var kms = gateway.KmsClient(tenant);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "under-key", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "sse-s3", ContentBody = "y" });

        var result = await CsrAsync("key", "dependents", "--tenant", tenant.TenantName, key.KeyId);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(key.Arn, result.Stdout);
        Assert.Contains("under-key", result.Stdout);
        Assert.DoesNotContain("sse-s3", result.Stdout);
        Assert.Contains("objects encrypted under it: 1", result.Stdout);
    }

    [Fact]
    public async Task Errors_UnknownTenantOrCommand_ExitNonZeroWithAMessage()
    {
        var missing = await CsrAsync("user", "list", "--tenant", "no-such-tenant");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No tenant named 'no-such-tenant'", missing.Stderr);
        var usage = await ExternalProcess.RunAsync("dotnet", [s_csr, "tenant", "frobnicate"]);
        Assert.NotEqual(0, usage.ExitCode);
        var help = await ExternalProcess.RunAsync("dotnet", [s_csr, "volume", "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("list", help.Stdout);
        Assert.Contains("readmit", help.Stdout);
    }
}
