using System.Text;
using System.Text.Json;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Kms.Tests;

/// One real SoftHSM2 token (created by KmsService.Open on first use, as the gateway's first start does) in a temp
/// data directory, shared by the "Hsm" collection. SoftHSM state is process-wide, so every HSM test lives in it.
public sealed class HsmFixture : IDisposable
{
    public HsmFixture()
    {
        DataDirectory = Directory.CreateTempSubdirectory("csr-kms-test-").FullName;
        Options = KmsOptions.ForDataDirectory(DataDirectory);
        Options.MinimumPendingWindowDays = 1;
        Options.MaintenanceInterval = null;
        Options.TimeProvider = Clock;
        Service = KmsService.Open(Options);
    }

    public string DataDirectory { get; }

    public KmsOptions Options { get; }

    public ManualTimeProvider Clock { get; } = new(TimeProvider.System.GetUtcNow());

    public KmsService Service { get; private set; }

    /// Closes and reopens the service on the same data directory (a gateway restart), running
    /// <paramref name="whileClosed"/> on kms.db's path in between (e.g. to make it look like an older version's).
    public void Reopen(Action<string>? whileClosed = null)
    {
        Service.Dispose();
        try
        {
            whileClosed?.Invoke(Options.DatabasePath);
        }
        finally
        {
            Service = KmsService.Open(Options);
        }
    }

    public static KmsCaller NewTenant(string? user = null)
    {
        var account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new KmsCaller("tenant-" + account, account, user is null ? $"arn:aws:iam::{account}:root" : $"arn:aws:iam::{account}:user/{user}", user is null);
    }

    public static KmsCaller User(KmsCaller tenant, string user) =>
        tenant with { PrincipalArn = $"arn:aws:iam::{tenant.AccountId}:user/{user}", IsTenantRoot = false };

    /// Calls the KMS API; returns the status and the parsed body.
    public async Task<(int Status, JsonElement Body)> CallAsync(KmsCaller caller, string operation, object request)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(request);
        var response = await Service.Api.HandleAsync(caller, operation, json, CancellationToken.None);
        using var doc = JsonDocument.Parse(response.Json);
        return (response.StatusCode, doc.RootElement.Clone());
    }

    /// Calls the KMS API and asserts success.
    public async Task<JsonElement> OkAsync(KmsCaller caller, string operation, object request)
    {
        var (status, body) = await CallAsync(caller, operation, request);
        Assert.True(status == 200, $"{operation} failed: {status} {body}");
        return body;
    }

    /// Calls the KMS API and asserts an AWS error of <paramref name="type"/>.
    public async Task<JsonElement> ErrorAsync(KmsCaller caller, string operation, object request, string type)
    {
        var (status, body) = await CallAsync(caller, operation, request);
        Assert.True(status != 200, $"{operation} unexpectedly succeeded: {body}");
        Assert.Equal(type, body.GetProperty("__type").GetString());
        return body;
    }

    public async Task<string> CreateKeyAsync(KmsCaller caller, object? request = null) =>
        (await OkAsync(caller, "CreateKey", request ?? new { })).GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;

    public static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    public void Dispose()
    {
        Service.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition("Hsm")]
public sealed class HsmCollection : ICollectionFixture<HsmFixture>;
