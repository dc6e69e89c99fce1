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
        var arn = f.Service.DataKeys.EnsureManagedKey(root, "alias/aws/s3", "SSE-S3");
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
        var arn = f.Service.DataKeys.EnsureManagedKey(root, "alias/aws/s3", "SSE-S3");
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

    [Fact]
    public void EnsureManagedKey_Warm_TakesNoStoreLockAndRunsNoSql()
    {
        var platform = HsmFixture.NewTenant() with { IsTenantRoot = true };
        var arn = f.Service.DataKeys.EnsureManagedKey(platform, "alias/aws/s3", "SSE-S3"); // cold: creates key and alias
        var (queries, locks) = (f.Service.Store.Queries, f.Service.Store.LockEntries);
        for (var i = 0; i < 100; i++)
        {
            // What SseKeys.NewAsync and BucketKeyCache.ForWriteAsync ask of the KMS on each SSE-S3 PUT with a warm bucket key.
            Assert.Equal(arn, f.Service.DataKeys.EnsureManagedKey(platform, "alias/aws/s3", "SSE-S3"));
            f.Service.DataKeys.AuthorizeUse(platform, arn, "kms:GenerateDataKey");
        }

        Assert.Equal(queries, f.Service.Store.Queries);
        Assert.Equal(locks, f.Service.Store.LockEntries);
    }

    [Fact]
    public async Task ResolveKeyArn_WarmAlias_RunsNoSqlAndFollowsUpdateAlias()
    {
        var root = HsmFixture.NewTenant();
        var alice = HsmFixture.User(root, "alice");
        var first = await f.CreateKeyAsync(root);
        var second = await f.CreateKeyAsync(root);
        await f.OkAsync(root, "CreateAlias", new { AliasName = "alias/sse", TargetKeyId = first });
        var arn = f.Service.DataKeys.ResolveKeyArn(alice, "alias/sse");
        var (queries, locks) = (f.Service.Store.Queries, f.Service.Store.LockEntries);
        for (var i = 0; i < 100; i++)
        {
            // SSE-KMS with an alias as key id: SseKeys.NewAsync resolves it, the bucket key cache authorises the use.
            Assert.Equal(arn, f.Service.DataKeys.ResolveKeyArn(alice, "alias/sse"));
            f.Service.DataKeys.AuthorizeUse(alice, arn, "kms:GenerateDataKey");
        }

        Assert.Equal(queries, f.Service.Store.Queries);
        Assert.Equal(locks, f.Service.Store.LockEntries);

        await f.OkAsync(root, "UpdateAlias", new { AliasName = "alias/sse", TargetKeyId = second });
        Assert.EndsWith(second, f.Service.DataKeys.ResolveKeyArn(alice, "alias/sse"));
        await f.OkAsync(root, "DeleteAlias", new { AliasName = "alias/sse" });
        Assert.Throws<CloudSecReq.Kms.Api.KmsException>(() => f.Service.DataKeys.ResolveKeyArn(alice, "alias/sse"));
        await f.OkAsync(root, "DisableKey", new { KeyId = second });
        Assert.Equal(CloudSecReq.Kms.Api.KmsErrorCode.Disabled,
            Assert.Throws<CloudSecReq.Kms.Api.KmsException>(() => f.Service.DataKeys.AuthorizeUse(alice, $"arn:aws:kms:{f.Service.Options.Region}:{root.AccountId}:key/{second}", "kms:GenerateDataKey")).Code);
    }
}
