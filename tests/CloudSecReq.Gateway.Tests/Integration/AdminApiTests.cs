using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Admin;
using CloudSecReq.Gateway.Cli;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The admin API on a real gateway, through the csr command's own client (SigV4, service csr-admin, HTTPS).</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminApiTests(GatewayFixture gateway)
{
    private AdminClient Client(string accessKeyId, string secret) =>
        new(gateway.Endpoint, accessKeyId, secret, "us-east-1", gateway.CaBundlePath, TimeProvider.System);

    private AdminClient Admin()
    {
        var key = gateway.Host.AdminKeys.Create("test");
        return Client(key.AccessKeyId, key.SecretAccessKey);
    }

    private static string Code(JsonElement? body) => body!.Value.GetProperty("code").GetString()!;

    private static async Task<(string AccessKeyId, string Secret)> NewKeyAsync(Task<(int Status, JsonElement? Body)> call)
    {
        var (status, body) = await call;
        Assert.Equal(201, status);
        var key = body!.Value.GetProperty("accessKey");
        return (key.GetProperty("accessKeyId").GetString()!, key.GetProperty("secretAccessKey").GetString()!);
    }

    [Fact]
    public async Task AdminApi_TenantCredentials_AreRefused()
    {
        var tenant = await gateway.NewTenantAsync("adm");
        using var client = Client(tenant.AccessKeyId, tenant.SecretAccessKey);
        var (status, body) = await client.SendAsync("GET", "tenants", null, CancellationToken.None);
        Assert.Equal(403, status);
        Assert.Equal("InvalidAccessKeyId", Code(body));
        Assert.False(body!.Value.TryGetProperty("tenants", out _));
    }

    [Fact]
    public async Task AdminApi_AnonymousAndWrongSecret_AreRefused()
    {
        var tenant = await gateway.NewTenantAsync("anon");
        using var http = gateway.HttpClient();
        // Unsigned, it is not an admin request at all: S3 refuses it like any anonymous request.
        var anonymous = await http.GetAsync(new Uri(gateway.Endpoint, "/admin/v1/tenants"));
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        var text = await anonymous.Content.ReadAsStringAsync();
        Assert.Contains("<Code>AccessDenied</Code>", text, StringComparison.Ordinal);
        Assert.DoesNotContain(tenant.TenantName, text, StringComparison.Ordinal);

        var admin = gateway.Host.AdminKeys.Create("test");
        using var wrong = Client(admin.AccessKeyId, (admin.SecretAccessKey[0] == 'A' ? "B" : "A") + admin.SecretAccessKey[1..]);
        var (status, body) = await wrong.SendAsync("GET", "tenants", null, CancellationToken.None);
        Assert.Equal(403, status);
        Assert.Equal("SignatureDoesNotMatch", Code(body));
    }

    [Fact]
    public async Task AdminApi_TenantUserKeyLifecycle_CreateListDisableEnableRotateDelete()
    {
        using var admin = Admin();
        var name = "adm-" + Guid.NewGuid().ToString("N")[..10];
        var root = await NewKeyAsync(admin.SendAsync("POST", "tenants", new CreateTenantInput(name), CancellationToken.None));
        var (_, tenants) = await admin.SendAsync("GET", "tenants", null, CancellationToken.None);
        Assert.Contains(tenants!.Value.GetProperty("tenants").EnumerateArray(), t => t.GetProperty("name").GetString() == name);
        Assert.DoesNotContain(root.Secret, tenants.Value.GetRawText(), StringComparison.Ordinal);

        var reader = await NewKeyAsync(admin.SendAsync("POST", $"tenants/{name}/users", new CreateUserInput("reader", ReadOnly: true), CancellationToken.None));
        var (_, users) = await admin.SendAsync("GET", $"tenants/{name}/users", null, CancellationToken.None);
        var readerView = users!.Value.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("name").GetString() == "reader");
        Assert.True(readerView.GetProperty("readOnly").GetBoolean());
        Assert.Equal(reader.AccessKeyId, readerView.GetProperty("accessKeys")[0].GetProperty("accessKeyId").GetString());

        var (disabled, disabledBody) = await admin.SendAsync("POST", $"access-keys/{reader.AccessKeyId}/disable", null, CancellationToken.None);
        Assert.Equal(200, disabled);
        Assert.False(disabledBody!.Value.GetProperty("accessKey").GetProperty("active").GetBoolean());
        var (enabled, _) = await admin.SendAsync("POST", $"access-keys/{reader.AccessKeyId}/enable", null, CancellationToken.None);
        Assert.Equal(200, enabled);

        var rotated = await NewKeyAsync(admin.SendAsync("POST", $"access-keys/{reader.AccessKeyId}/rotate", new RotateAccessKeyInput("delete"), CancellationToken.None));
        var (_, keys) = await admin.SendAsync("GET", $"tenants/{name}/access-keys", null, CancellationToken.None);
        var ids = keys!.Value.GetProperty("accessKeys").EnumerateArray().Select(k => k.GetProperty("accessKeyId").GetString()).ToList();
        Assert.Contains(rotated.AccessKeyId, ids);
        Assert.DoesNotContain(reader.AccessKeyId, ids);

        var (deletedUser, _) = await admin.SendAsync("DELETE", $"tenants/{name}/users/reader", null, CancellationToken.None);
        Assert.Equal(200, deletedUser);
        var (rootDelete, rootBody) = await admin.SendAsync("DELETE", $"tenants/{name}/users/root", null, CancellationToken.None);
        Assert.Equal(409, rootDelete);
        Assert.Equal("CannotDeleteRootUser", Code(rootBody));
        var (deletedTenant, _) = await admin.SendAsync("DELETE", $"tenants/{name}", null, CancellationToken.None);
        Assert.Equal(200, deletedTenant);
        Assert.Null(await gateway.Host.Data.Store.FindTenantByNameAsync(name, CancellationToken.None));
        var (missing, missingBody) = await admin.SendAsync("GET", $"tenants/{name}/users", null, CancellationToken.None);
        Assert.Equal(404, missing);
        Assert.Equal("NoSuchTenant", Code(missingBody));
    }

    [Fact]
    public async Task AdminApi_UnknownFieldOrUnknownOperation_IsRefusedNotIgnored()
    {
        using var admin = Admin();
        var name = "adm-" + Guid.NewGuid().ToString("N")[..10];
        var (status, body) = await admin.SendAsync("POST", "tenants", new { name, quota = 5 }, CancellationToken.None);
        Assert.Equal(400, status);
        Assert.Equal("MalformedJson", Code(body));
        Assert.Null(await gateway.Host.Data.Store.FindTenantByNameAsync(name, CancellationToken.None));

        var (badRotate, badRotateBody) = await admin.SendAsync("POST", "access-keys/CSRNOSUCHKEY/rotate", new RotateAccessKeyInput("keep"), CancellationToken.None);
        Assert.Equal(400, badRotate);
        Assert.Equal("InvalidArgument", Code(badRotateBody));
        var (unknown, unknownBody) = await admin.SendAsync("PUT", "tenants", null, CancellationToken.None);
        Assert.Equal(404, unknown);
        Assert.Equal("NoSuchOperation", Code(unknownBody));
    }

    [Fact]
    public async Task AdminApi_DeleteTenantWithABucket_IsRefusedUntilEmpty()
    {
        using var admin = Admin();
        var name = "adm-" + Guid.NewGuid().ToString("N")[..10];
        var root = await NewKeyAsync(admin.SendAsync("POST", "tenants", new CreateTenantInput(name), CancellationToken.None));
        using var s3 = gateway.S3Client(root.AccessKeyId, root.Secret);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);

        var (refused, body) = await admin.SendAsync("DELETE", $"tenants/{name}", null, CancellationToken.None);
        Assert.Equal(409, refused);
        Assert.Equal("TenantNotEmpty", Code(body));
        Assert.NotNull(await gateway.Host.Data.Store.FindTenantByNameAsync(name, CancellationToken.None));

        await s3.DeleteBucketAsync(bucket);
        var (deleted, _) = await admin.SendAsync("DELETE", $"tenants/{name}", null, CancellationToken.None);
        Assert.Equal(200, deleted);
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListBucketsAsync());
        Assert.Equal("InvalidAccessKeyId", gone.ErrorCode);
    }

    [Theory]
    [InlineData("disable")]
    [InlineData("delete")]
    [InlineData("rotate")]
    [InlineData("delete-user")]
    public async Task RevokedAccessKey_IsRefusedOnTheNextS3Request(string how)
    {
        using var admin = Admin();
        var tenant = await gateway.NewTenantAsync("rev");
        var user = await gateway.NewUserAsync(tenant.TenantName, UserPolicy.FullAccess);
        using var s3 = gateway.S3Client(user);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v" });
        // The signing key is cached now: without revocation the next request would pass for minutes.
        var revoked = how switch
        {
            "disable" => await admin.SendAsync("POST", $"access-keys/{user.AccessKeyId}/disable", null, CancellationToken.None),
            "delete" => await admin.SendAsync("DELETE", $"access-keys/{user.AccessKeyId}", null, CancellationToken.None),
            "rotate" => await admin.SendAsync("POST", $"access-keys/{user.AccessKeyId}/rotate", new RotateAccessKeyInput("disable"), CancellationToken.None),
            _ => await admin.SendAsync("DELETE", $"tenants/{tenant.TenantName}/users/{user.UserName}", null, CancellationToken.None),
        };
        Assert.True(revoked.Status is 200 or 201 or 204, $"{revoked.Status} {revoked.Body}");

        var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal("InvalidAccessKeyId", refused.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        if (how == "rotate")
        {
            var key = revoked.Body!.Value.GetProperty("accessKey");
            using var next = gateway.S3Client(key.GetProperty("accessKeyId").GetString()!, key.GetProperty("secretAccessKey").GetString()!);
            using var got = await next.GetObjectAsync(bucket, "k");
            Assert.Equal("v", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        }
    }

    [Fact]
    public async Task BucketNamedAdmin_IsPlainS3_NotTheAdminApi()
    {
        var tenant = await gateway.NewTenantAsync("adb");
        using var s3 = gateway.S3Client(tenant);
        // Bucket names are global: no other test makes "admin".
        var bucket = "admin";
        await s3.PutBucketAsync(bucket);
        var owner = (await gateway.Host.Data.Store.GetBucketAsync(bucket, CancellationToken.None))!.TenantId;
        Assert.Equal((await gateway.Host.Data.Store.FindTenantByNameAsync(tenant.TenantName, CancellationToken.None))!.Id, owner);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "v1/tenants", ContentBody = "not an admin call" });
        using var got = await s3.GetObjectAsync(bucket, "v1/tenants");
        Assert.Equal("not an admin call", await new StreamReader(got.ResponseStream, Encoding.UTF8).ReadToEndAsync());
    }
}
