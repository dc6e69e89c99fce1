using System.Text.Json;
using Amazon.S3;
using CloudSecReq.Gateway.Cli;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The csr admin commands, run as their own process against the running gateway (through its admin API).</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminCommandTests(GatewayFixture gateway)
{
    private static readonly string s_csr = Path.Combine(AppContext.BaseDirectory, "csr.dll");

    private static Task<ExternalProcess.Result> CsrEnvAsync(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [s_csr, .. args], env);

    private Task<ExternalProcess.Result> CsrAsync(params string[] args) => CsrEnvAsync(null, [.. args, "--data", gateway.DataDirectory]);

    [Fact]
    public async Task AccessKeyListJson_ThenDisable_RefusesTheKeyOnTheNextS3Request()
    {
        var tenant = await gateway.NewTenantAsync("cli");
        var user = await gateway.NewUserAsync(tenant.TenantName, UserPolicy.FullAccess);
        using var s3 = gateway.S3Client(user);
        await s3.ListBucketsAsync();

        var listed = await CsrAsync("access-key", "list", "--tenant", tenant.TenantName, "--output", "json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var keys = JsonDocument.Parse(listed.Stdout).RootElement.GetProperty("accessKeys").EnumerateArray().ToList();
        Assert.Equal(new[] { tenant.AccessKeyId, user.AccessKeyId }.Order(StringComparer.Ordinal), keys.Select(k => k.GetProperty("accessKeyId").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(keys, k => Assert.True(k.GetProperty("active").GetBoolean()));
        Assert.DoesNotContain(user.SecretAccessKey, listed.Stdout, StringComparison.Ordinal);

        var disabled = await CsrAsync("access-key", "disable", user.AccessKeyId);
        Assert.True(disabled.ExitCode == 0, disabled.ToString());
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListBucketsAsync());
        Assert.Equal("InvalidAccessKeyId", refused.ErrorCode);

        var table = await CsrAsync("access-key", "list", "--tenant", tenant.TenantName);
        Assert.Contains(user.AccessKeyId, table.Stdout, StringComparison.Ordinal);
        Assert.Contains("disabled", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_PrintsANewKeyOnce_AndTheOldOneIsRefused()
    {
        var tenant = await gateway.NewTenantAsync("rot");
        using var old = gateway.S3Client(tenant);
        await old.ListBucketsAsync();
        var rotated = await CsrAsync("access-key", "rotate", tenant.AccessKeyId, "--delete-old");
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        string Value(string key) => rotated.Stdout.Split('\n').Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..].Trim();
        using var next = gateway.S3Client(Value("AWS_ACCESS_KEY_ID"), Value("AWS_SECRET_ACCESS_KEY"));
        await next.ListBucketsAsync();
        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => old.ListBucketsAsync());
        Assert.Equal("InvalidAccessKeyId", refused.ErrorCode);
        Assert.Contains("deleted", rotated.Stdout, StringComparison.Ordinal);
        // The new secret went to this command's stdout only: the gateway's log never saw it.
        Assert.DoesNotContain(Value("AWS_SECRET_ACCESS_KEY"), string.Join('\n', gateway.Log.Entries.Select(e => e.Message)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantList_WithEndpointAndEnvironmentCredentials_UsesTheApi_AndTenantKeysAreRefused()
    {
        var tenant = await gateway.NewTenantAsync("env");
        var admin = gateway.Host.AdminKeys.Create("env-test");
        var elsewhere = Path.Combine(Path.GetTempPath(), "csr-no-data-" + Guid.NewGuid().ToString("N")[..8]);
        var env = new Dictionary<string, string> { [AdminCall.AccessKeyIdVariable] = admin.AccessKeyId, [AdminCall.SecretVariable] = admin.SecretAccessKey, [AdminCall.CaBundleVariable] = gateway.CaBundlePath };
        // No data directory here: the endpoint and the environment say everything (and the CA).
        var listed = await CsrEnvAsync(env, "tenant", "list", "--output", "json", "--endpoint", gateway.Endpoint.ToString(), "--data", elsewhere);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains(JsonDocument.Parse(listed.Stdout).RootElement.GetProperty("tenants").EnumerateArray(), t => t.GetProperty("name").GetString() == tenant.TenantName);
        Assert.False(Directory.Exists(elsewhere));

        env[AdminCall.AccessKeyIdVariable] = tenant.AccessKeyId;
        env[AdminCall.SecretVariable] = tenant.SecretAccessKey;
        var refused = await CsrEnvAsync(env, "tenant", "list", "--endpoint", gateway.Endpoint.ToString(), "--data", elsewhere);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("InvalidAccessKeyId", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(tenant.TenantName, refused.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantCreate_WithTheGatewayStopped_WorksOfflineAndTheKeyServesAfterTheStart()
    {
        var name = "off-" + Guid.NewGuid().ToString("N")[..10];
        ExternalProcess.Result? created = null;
        await gateway.WhileStoppedAsync(async data => created = await CsrEnvAsync(null, "tenant", "create", name, "--data", data));
        Assert.True(created!.ExitCode == 0, created.ToString());
        string Value(string key) => created.Stdout.Split('\n').Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..].Trim();
        using var s3 = gateway.S3Client(Value("AWS_ACCESS_KEY_ID"), Value("AWS_SECRET_ACCESS_KEY"));
        await s3.ListBucketsAsync();
        var listed = await CsrAsync("tenant", "list", "--output", "json");
        Assert.Contains(JsonDocument.Parse(listed.Stdout).RootElement.GetProperty("tenants").EnumerateArray(), t => t.GetProperty("name").GetString() == name);
    }

    [Theory]
    [InlineData("tenant", "list")]
    [InlineData("access-key", "disable", "CSRANYTHING")]
    [InlineData("user", "create", "--tenant", "t", "u")]
    public async Task AdminCommand_OnADirectoryThatIsNotADataDirectory_RefusesAndCreatesNothing(params string[] command)
    {
        var wrong = Path.Combine(Path.GetTempPath(), "csr-wrong-" + Guid.NewGuid().ToString("N")[..8]);
        var result = await CsrEnvAsync(null, [.. command, "--data", wrong]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not a CloudSecReq data directory", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(wrong));
    }
}
