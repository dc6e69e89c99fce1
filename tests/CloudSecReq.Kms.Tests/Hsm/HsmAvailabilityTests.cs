using CloudSecReq.Kms.Api;

namespace CloudSecReq.Kms.Tests.Hsm;

[Collection("Hsm")]
public sealed class HsmAvailabilityTests(HsmFixture f)
{
    private string Tokens => Path.Combine(f.DataDirectory, "hsm", "tokens");

    [Fact]
    public async Task HsmTakenAway_Calls_FailRetryableThenRecover()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        var blob = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("x") })).GetProperty("CiphertextBlob").GetString();
        var secret = f.Service.Secrets.Protect("k"u8, "t");

        Directory.Move(Tokens, Tokens + ".away");
        try
        {
            f.Service.Pool.SimulateLossForTest();

            var (status, body) = await f.CallAsync(tenant, "Decrypt", new { CiphertextBlob = blob });
            Assert.Equal(500, status);
            Assert.Equal("KeyUnavailableException", body.GetProperty("__type").GetString());
            await f.ErrorAsync(tenant, "CreateKey", new { }, "KeyUnavailableException");
            await f.ErrorAsync(tenant, "RotateKeyOnDemand", new { KeyId = keyId }, "KeyUnavailableException");
            var e = Assert.Throws<KmsException>(() => f.Service.DataKeys.GenerateDataKey(tenant, keyId, null));
            Assert.True(e.IsRetryable);
            Assert.Equal(KmsErrorCode.KeyUnavailable, Assert.Throws<KmsException>(() => f.Service.Secrets.Unprotect(secret, "t")).Code);
            Assert.False(f.Service.Pool.IsHealthy);
        }
        finally
        {
            Directory.Move(Tokens + ".away", Tokens);
        }

        // Nothing half-done: the failed CreateKey and rotation left no metadata.
        Assert.Single((await f.OkAsync(tenant, "ListKeys", new { })).GetProperty("Keys").EnumerateArray());
        Assert.Empty((await f.OkAsync(tenant, "ListKeyRotations", new { KeyId = keyId })).GetProperty("Rotations").EnumerateArray());
        var dec = await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = blob });
        Assert.Equal(HsmFixture.B64("x"), dec.GetProperty("Plaintext").GetString());
        Assert.Equal("k"u8.ToArray(), f.Service.Secrets.Unprotect(secret, "t"));
    }

    [Fact]
    public async Task TokenDirectoryRemovedUnderLiveSessions_Decrypt_FailsClosedThenRecovers()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        var blob = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("y") })).GetProperty("CiphertextBlob").GetString();

        Directory.Move(Tokens, Tokens + ".away");
        try
        {
            var (status, body) = await f.CallAsync(tenant, "Decrypt", new { CiphertextBlob = blob });
            Assert.NotEqual(200, status);
            Assert.Contains(body.GetProperty("__type").GetString(), new[] { "KeyUnavailableException", "KMSInternalException" });
            Assert.Equal(500, status);
        }
        finally
        {
            Directory.Move(Tokens + ".away", Tokens);
        }

        f.Service.PurgeCaches();
        var dec = await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = blob });
        Assert.Equal(HsmFixture.B64("y"), dec.GetProperty("Plaintext").GetString());
    }

    [Fact]
    public async Task Reopen_SameDataDirectory_KeepsKeysAndPlatformSecrets()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        await f.OkAsync(tenant, "CreateAlias", new { AliasName = "alias/persist", TargetKeyId = keyId });
        var blob = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("z") })).GetProperty("CiphertextBlob").GetString();
        var secret = f.Service.Secrets.Protect("s"u8, "aad");
        var publicKey = f.Service.Signer.ExportSubjectPublicKeyInfo();

        f.Reopen();

        Assert.Equal(HsmFixture.B64("z"), (await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = blob })).GetProperty("Plaintext").GetString());
        await f.OkAsync(tenant, "DescribeKey", new { KeyId = "alias/persist" });
        Assert.Equal("s"u8.ToArray(), f.Service.Secrets.Unprotect(secret, "aad"));
        Assert.Equal(publicKey, f.Service.Signer.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void FirstStart_DataDirectory_HasPrivatePinFilesAndConfig()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var hsm = Path.Combine(f.DataDirectory, "hsm");
        foreach (var name in new[] { "user-pin", "so-pin", "softhsm2.conf" })
        {
            var mode = File.GetUnixFileMode(Path.Combine(hsm, name));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }

        Assert.Contains($"directories.tokendir = {Path.Combine(hsm, "tokens")}", File.ReadAllText(Path.Combine(hsm, "softhsm2.conf")));
        Assert.True(File.Exists(Path.Combine(f.DataDirectory, "kms.db")));
    }
}
