using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// The tenant-facing KMS API served by the real gateway (SigV4 service "kms" over HTTPS, a real
/// SoftHSM2 token), driven by AWSSDK.KeyManagementService and the aws cli with openssl.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KmsEndpointTests(GatewayFixture gateway)
{
    [Fact]
    public async Task KeyLifecycle_ThroughGateway_EncryptRotateDisableDeleteShreds()
    {
        var tenant = await gateway.NewTenantAsync();
        using var kms = gateway.KmsClient(tenant);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "lifecycle" })).KeyMetadata;
        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/app", TargetKeyId = key.KeyId });
        var context = new Dictionary<string, string> { ["bucket"] = "photos" };

        var before = await kms.EncryptAsync(new EncryptRequest { KeyId = "alias/app", Plaintext = new MemoryStream("secret"u8.ToArray()), EncryptionContext = context });
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(before.CiphertextBlob.ToArray()),
            EncryptionContext = new Dictionary<string, string> { ["bucket"] = "other" },
        }));

        await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });
        var after = await kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream("newer"u8.ToArray()), EncryptionContext = context });
        Assert.NotEqual(before.CiphertextBlob.ToArray(), after.CiphertextBlob.ToArray());
        var old = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(before.CiphertextBlob.ToArray()), EncryptionContext = context });
        Assert.Equal("secret", Encoding.UTF8.GetString(old.Plaintext.ToArray()));

        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });
        await Assert.ThrowsAsync<DisabledException>(() => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(after.CiphertextBlob.ToArray()), EncryptionContext = context }));
        await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });

        // The gateway under test accepts a zero-day window (csr.json MinimumKeyDeletionWindowDays = 0).
        var immediately = int.Parse("0");
        await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = immediately });
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(after.CiphertextBlob.ToArray()), EncryptionContext = context }));
        gateway.Host.Data.Kms.RunDueWork();
        // Destroyed: nothing under the key decrypts, old or new version.
        foreach (var blob in new[] { before.CiphertextBlob, after.CiphertextBlob })
        {
            await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(blob.ToArray()), EncryptionContext = context }));
        }
    }

    [Fact]
    public async Task Keys_OfAnotherTenant_AreInvisibleAndUnusable()
    {
        var owner = await gateway.NewTenantAsync();
        var other = await gateway.NewTenantAsync();
        using var kmsA = gateway.KmsClient(owner);
        using var kmsB = gateway.KmsClient(other);
        var key = (await kmsA.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var ct = await kmsA.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1, 2, 3]) });

        await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kmsB.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.Arn }));
        await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kmsB.EncryptAsync(new EncryptRequest { KeyId = key.Arn, Plaintext = new MemoryStream([1]) }));
        await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kmsB.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(ct.CiphertextBlob.ToArray()) }));
        Assert.DoesNotContain((await kmsB.ListKeysAsync(new ListKeysRequest())).Keys ?? [], k => k.KeyId == key.KeyId);
    }

    [Fact]
    public async Task Request_WithWrongSecret_IsRefusedBeforeTheKms()
    {
        var tenant = await gateway.NewTenantAsync();
        using var kms = gateway.KmsClient(tenant with { SecretAccessKey = tenant.SecretAccessKey[..^2] + "xx" });
        var e = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.ListKeysAsync(new ListKeysRequest()));
        Assert.Equal("InvalidSignatureException", e.ErrorCode);
    }

    [Fact]
    public async Task AwsCli_ByokWithOpenssl_ImportDeleteAndReimportSameMaterial()
    {
        var tenant = await gateway.NewTenantAsync();
        var env = gateway.ClientEnvironment(tenant);
        var dir = Directory.CreateTempSubdirectory("csr-byok-").FullName;
        try
        {
            async Task<JsonElement> Aws(params string[] args)
            {
                var r = await ExternalProcess.RunAsync("aws", AwsCli.WithEndpoint(env, [.. args, "--output", "json"]), env, dir);
                Assert.True(r.ExitCode == 0, r.ToString());
                return r.Stdout.Trim().Length == 0 ? default : JsonDocument.Parse(r.Stdout).RootElement.Clone();
            }
            var keyId = (await Aws("kms", "create-key", "--origin", "EXTERNAL")).GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
            File.WriteAllBytes(Path.Combine(dir, "PlaintextKeyMaterial.bin"), RandomNumberGenerator.GetBytes(32));

            async Task ImportAsync()
            {
                var p = await Aws("kms", "get-parameters-for-import", "--key-id", keyId, "--wrapping-algorithm", "RSAES_OAEP_SHA_1", "--wrapping-key-spec", "RSA_2048");
                File.WriteAllBytes(Path.Combine(dir, "WrappingPublicKey.bin"), Convert.FromBase64String(p.GetProperty("PublicKey").GetString()!));
                File.WriteAllBytes(Path.Combine(dir, "ImportToken.bin"), Convert.FromBase64String(p.GetProperty("ImportToken").GetString()!));
                var openssl = await ExternalProcess.RunAsync("openssl", ["pkeyutl", "-encrypt", "-in", "PlaintextKeyMaterial.bin", "-out", "EncryptedKeyMaterial.bin",
                    "-inkey", "WrappingPublicKey.bin", "-keyform", "DER", "-pubin", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1"], null, dir);
                Assert.True(openssl.ExitCode == 0, openssl.ToString());
                await Aws("kms", "import-key-material", "--key-id", keyId, "--encrypted-key-material", "fileb://EncryptedKeyMaterial.bin",
                    "--import-token", "fileb://ImportToken.bin", "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE");
            }

            await ImportAsync();
            File.WriteAllText(Path.Combine(dir, "plain.txt"), "tenant-held key");
            var blob = (await Aws("kms", "encrypt", "--key-id", keyId, "--plaintext", "fileb://plain.txt", "--encryption-context", "app=byok")).GetProperty("CiphertextBlob").GetString()!;
            File.WriteAllBytes(Path.Combine(dir, "ct.bin"), Convert.FromBase64String(blob));

            await Aws("kms", "delete-imported-key-material", "--key-id", keyId);
            var shredded = await ExternalProcess.RunAsync("aws", AwsCli.WithEndpoint(env, ["kms", "decrypt", "--ciphertext-blob", "fileb://ct.bin", "--encryption-context", "app=byok"]), env, dir);
            Assert.NotEqual(0, shredded.ExitCode);
            Assert.Contains("KMSInvalidStateException", shredded.Stderr);

            await ImportAsync(); // the same material again restores access
            var plain = (await Aws("kms", "decrypt", "--ciphertext-blob", "fileb://ct.bin", "--encryption-context", "app=byok")).GetProperty("Plaintext").GetString()!;
            Assert.Equal("tenant-held key", Encoding.UTF8.GetString(Convert.FromBase64String(plain)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
