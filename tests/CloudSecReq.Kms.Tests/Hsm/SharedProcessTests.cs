namespace CloudSecReq.Kms.Tests.Hsm;

[Collection("Hsm")]
public sealed class SharedProcessTests(HsmFixture f)
{
    [Fact]
    public void Open_OtherSoftHsmConfigWhileInUse_ThrowsClearError()
    {
        var other = Directory.CreateTempSubdirectory("csr-kms-other-").FullName;
        try
        {
            var options = KmsOptions.ForDataDirectory(other);
            options.MaintenanceInterval = null;
            var e = Assert.Throws<InvalidOperationException>(() => KmsService.Open(options));
            Assert.Contains("one SoftHSM configuration", e.Message);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task Open_SameConfigSecondTokenLabel_RunsBesideTheFirst()
    {
        var other = Directory.CreateTempSubdirectory("csr-kms-second-").FullName;
        try
        {
            var options = KmsOptions.ForDataDirectory(other);
            options.SoftHsmConfigPath = f.Options.SoftHsmConfigPath;
            options.TokenLabel = "second-" + Guid.NewGuid().ToString("N")[..8];
            options.MaintenanceInterval = null;
            using (var second = KmsService.Open(options))
            {
                var tenant = HsmFixture.NewTenant();
                var dk = second.DataKeys.GenerateDataKey(tenant, await CreateKey(second, tenant), null);
                Assert.Equal(dk.Plaintext, second.DataKeys.Decrypt(tenant, dk.CiphertextBlob, null));
                Assert.NotEqual(f.Service.Signer.ExportSubjectPublicKeyInfo(), second.Signer.ExportSubjectPublicKeyInfo());
            }

            // The first service still works after the second one closed.
            Assert.Equal("x"u8.ToArray(), f.Service.Secrets.Unprotect(f.Service.Secrets.Protect("x"u8, "a"), "a"));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    private static async Task<string> CreateKey(KmsService kms, Kms.Api.KmsCaller tenant)
    {
        var r = await kms.Api.HandleAsync(tenant, "CreateKey", "{}"u8.ToArray(), CancellationToken.None);
        Assert.Equal(200, r.StatusCode);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Json);
        return doc.RootElement.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
    }
}
