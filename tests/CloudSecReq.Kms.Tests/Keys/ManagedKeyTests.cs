using Microsoft.Data.Sqlite;

namespace CloudSecReq.Kms.Tests.Keys;

/// The tenant's AWS managed key (alias/aws/s3, made on first use by the S3 path): readable and usable, never
/// administrable, by the tenant root neither (issue 11).
[Collection("Hsm")]
public sealed class ManagedKeyTests(HsmFixture f)
{
    [Fact]
    public async Task ManagedKey_TenantRoot_ReadsAndUsesButCannotAdminister()
    {
        var root = HsmFixture.NewTenant();
        var arn = await f.Service.DataKeys.EnsureManagedKeyAsync(root, "alias/aws/s3", "SSE-S3");
        var md = (await f.OkAsync(root, "DescribeKey", new { KeyId = "alias/aws/s3" })).GetProperty("KeyMetadata");
        Assert.Equal("AWS", md.GetProperty("KeyManager").GetString());
        await f.OkAsync(root, "GetKeyPolicy", new { KeyId = arn });
        var blob = (await f.OkAsync(root, "Encrypt", new { KeyId = "alias/aws/s3", Plaintext = HsmFixture.B64("x") })).GetProperty("CiphertextBlob").GetString();
        await f.OkAsync(root, "Decrypt", new { CiphertextBlob = blob });

        foreach (var (operation, request) in new (string, object)[]
        {
            ("DisableKey", new { KeyId = "alias/aws/s3" }),
            ("ScheduleKeyDeletion", new { KeyId = arn, PendingWindowInDays = 7 }),
            ("PutKeyPolicy", new { KeyId = arn, Policy = $$"""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"{{root.AccountId}}"},"Action":"kms:*"}]}""" }),
            ("DeleteAlias", new { AliasName = "alias/aws/s3" }),
            ("TagResource", new { KeyId = arn, Tags = new[] { new { TagKey = "a", TagValue = "b" } } }),
        })
        {
            var error = await f.ErrorAsync(root, operation, request, "AccessDeniedException");
            Assert.Contains($"kms:{operation} on resource: {arn}", error.GetProperty("message").GetString());
        }
        Assert.Equal("Enabled", (await f.OkAsync(root, "DescribeKey", new { KeyId = arn })).GetProperty("KeyMetadata").GetProperty("KeyState").GetString());
    }

    [Fact]
    public async Task ManagedKey_MadeBeforeKeyManagerWasStored_IsAwsManagedAfterReopen()
    {
        var root = HsmFixture.NewTenant();
        var arn = await f.Service.DataKeys.EnsureManagedKeyAsync(root, "alias/aws/s3", "SSE-S3");
        var customer = await f.CreateKeyAsync(root);
        f.Reopen(database =>
        {
            using var db = new SqliteConnection($"Data Source={database};Pooling=False");
            db.Open();
            using var drop = db.CreateCommand();
            drop.CommandText = "ALTER TABLE keys DROP COLUMN key_manager"; // kms.db as the versions before issue 11 wrote it
            drop.ExecuteNonQuery();
        });

        var managed = (await f.OkAsync(root, "DescribeKey", new { KeyId = arn })).GetProperty("KeyMetadata");
        Assert.Equal("AWS", managed.GetProperty("KeyManager").GetString());
        await f.ErrorAsync(root, "DisableKey", new { KeyId = "alias/aws/s3" }, "AccessDeniedException");
        Assert.Equal("CUSTOMER", (await f.OkAsync(root, "DescribeKey", new { KeyId = customer })).GetProperty("KeyMetadata").GetProperty("KeyManager").GetString());
        await f.OkAsync(root, "DisableKey", new { KeyId = customer });
    }
}
