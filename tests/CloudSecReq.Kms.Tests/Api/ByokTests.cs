using System.Diagnostics;
using System.Security.Cryptography;
using CloudSecReq.Kms.Keys;

namespace CloudSecReq.Kms.Tests.Api;

/// BYOK end to end with the openssl commands AWS documents for tenants.
[Collection("Hsm")]
public sealed class ByokTests(HsmFixture f)
{
    private static readonly Dictionary<string, string> s_ctx = new() { ["purpose"] = "byok" };

    [Fact]
    public async Task ImportKeyMaterial_OaepSha1_EncryptsWithImportedMaterialAndReimportRestores()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await CreateExternalKeyAsync(tenant);
        var material = RandomNumberGenerator.GetBytes(32);
        var (token, publicKey) = await GetParametersAsync(tenant, keyId, "RSAES_OAEP_SHA_1");
        var encrypted = WrapOaepSha1(publicKey, material);

        var imported = await f.OkAsync(tenant, "ImportKeyMaterial", new { KeyId = keyId, ImportToken = token, EncryptedKeyMaterial = encrypted, ExpirationModel = "KEY_MATERIAL_DOES_NOT_EXPIRE" });
        Assert.Equal(64, imported.GetProperty("KeyMaterialId").GetString()!.Length);
        Assert.Equal("Enabled", await StateAsync(tenant, keyId));

        // The HSM really encrypts with the tenant's material: open the blob on the host with it.
        var blob = Convert.FromBase64String((await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("mine"), EncryptionContext = s_ctx })).GetProperty("CiphertextBlob").GetString()!);
        Assert.Equal("mine", System.Text.Encoding.UTF8.GetString(OpenOnHost(material, blob, s_ctx)));

        // Delete (shred) → unusable, object gone.
        await f.OkAsync(tenant, "DeleteImportedKeyMaterial", new { KeyId = keyId });
        Assert.Equal("PendingImport", await StateAsync(tenant, keyId));
        Assert.False(f.Service.Hsm.Exists(TenantKeyRecord.VersionLabel(keyId, 1)));
        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = Convert.ToBase64String(blob), EncryptionContext = s_ctx }, "KMSInvalidStateException");

        // Other material is refused and leaves nothing behind.
        await f.ErrorAsync(tenant, "ImportKeyMaterial", new { KeyId = keyId, ImportToken = token, EncryptedKeyMaterial = WrapOaepSha1(publicKey, RandomNumberGenerator.GetBytes(32)) }, "IncorrectKeyMaterialException");
        Assert.False(f.Service.Hsm.Exists(TenantKeyRecord.VersionLabel(keyId, 1)));
        Assert.Equal("PendingImport", await StateAsync(tenant, keyId));

        // The same material restores access to old ciphertexts.
        await f.OkAsync(tenant, "ImportKeyMaterial", new { KeyId = keyId, ImportToken = token, EncryptedKeyMaterial = encrypted });
        var dec = await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = Convert.ToBase64String(blob), EncryptionContext = s_ctx });
        Assert.Equal(HsmFixture.B64("mine"), dec.GetProperty("Plaintext").GetString());
    }

    [Fact]
    public async Task ImportKeyMaterial_RsaAesKeyWrapSha1_TwoStepUnwrapWorksAndExpires()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await CreateExternalKeyAsync(tenant);
        var material = RandomNumberGenerator.GetBytes(32);
        var (token, publicKey) = await GetParametersAsync(tenant, keyId, "RSA_AES_KEY_WRAP_SHA_1");
        var encrypted = WrapRsaAesSha1(publicKey, material);
        Assert.Equal(256 + 40, Convert.FromBase64String(encrypted).Length);

        var validTo = f.Clock.GetUtcNow().AddDays(2).ToUnixTimeSeconds();
        await f.ErrorAsync(tenant, "ImportKeyMaterial", new { KeyId = keyId, ImportToken = token, EncryptedKeyMaterial = encrypted, ExpirationModel = "KEY_MATERIAL_EXPIRES" }, "ValidationException");
        await f.OkAsync(tenant, "ImportKeyMaterial", new { KeyId = keyId, ImportToken = token, EncryptedKeyMaterial = encrypted, ExpirationModel = "KEY_MATERIAL_EXPIRES", ValidTo = validTo });
        var md = (await f.OkAsync(tenant, "DescribeKey", new { KeyId = keyId })).GetProperty("KeyMetadata");
        Assert.Equal("KEY_MATERIAL_EXPIRES", md.GetProperty("ExpirationModel").GetString());
        var blob = Convert.FromBase64String((await f.OkAsync(tenant, "GenerateDataKey", new { KeyId = keyId, NumberOfBytes = 32 })).GetProperty("CiphertextBlob").GetString()!);
        Assert.Equal(32, OpenOnHost(material, blob, null).Length);

        f.Clock.Advance(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        f.Service.RunDueWork();
        Assert.Equal("PendingImport", await StateAsync(tenant, keyId));
        Assert.False(f.Service.Hsm.Exists(TenantKeyRecord.VersionLabel(keyId, 1)));
    }

    [Fact]
    public async Task ImportKeyMaterial_ForgedForeignOrExpiredToken_IsRefused()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await CreateExternalKeyAsync(tenant);
        var otherKey = await CreateExternalKeyAsync(tenant);
        var (token, publicKey) = await GetParametersAsync(tenant, keyId, "RSAES_OAEP_SHA_1");
        var encrypted = WrapOaepSha1(publicKey, RandomNumberGenerator.GetBytes(32));

        var forged = Convert.FromBase64String(token);
        forged[10] ^= 1;
        await f.ErrorAsync(tenant, "ImportKeyMaterial", new { KeyId = keyId, ImportToken = Convert.ToBase64String(forged), EncryptedKeyMaterial = encrypted }, "InvalidImportTokenException");
        await f.ErrorAsync(tenant, "ImportKeyMaterial", new { KeyId = otherKey, ImportToken = token, EncryptedKeyMaterial = encrypted }, "InvalidImportTokenException");
        await f.ErrorAsync(tenant, "ImportKeyMaterial", new { KeyId = keyId, ImportToken = token, EncryptedKeyMaterial = Convert.ToBase64String(new byte[256]) }, "InvalidCiphertextException");

        // SoftHSM has no OAEP-SHA-256 unwrap: refused up front.
        await f.ErrorAsync(tenant, "GetParametersForImport", new { KeyId = keyId, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048" }, "UnsupportedOperationException");
        var awsKey = await f.CreateKeyAsync(tenant);
        await f.ErrorAsync(tenant, "GetParametersForImport", new { KeyId = awsKey, WrappingAlgorithm = "RSAES_OAEP_SHA_1", WrappingKeySpec = "RSA_2048" }, "UnsupportedOperationException");

        f.Clock.Advance(TimeSpan.FromHours(25));
        await f.ErrorAsync(tenant, "ImportKeyMaterial", new { KeyId = keyId, ImportToken = token, EncryptedKeyMaterial = encrypted }, "ExpiredImportTokenException");
        f.Service.RunDueWork(); // destroys the expired wrapping key
        Assert.Equal("PendingImport", await StateAsync(tenant, keyId));
    }

    private async Task<string> CreateExternalKeyAsync(Kms.Api.KmsCaller tenant)
    {
        var md = (await f.OkAsync(tenant, "CreateKey", new { Origin = "EXTERNAL" })).GetProperty("KeyMetadata");
        Assert.Equal("PendingImport", md.GetProperty("KeyState").GetString());
        return md.GetProperty("KeyId").GetString()!;
    }

    private async Task<(string Token, byte[] PublicKey)> GetParametersAsync(Kms.Api.KmsCaller tenant, string keyId, string algorithm)
    {
        var p = await f.OkAsync(tenant, "GetParametersForImport", new { KeyId = keyId, WrappingAlgorithm = algorithm, WrappingKeySpec = "RSA_2048" });
        var validTo = DateTimeOffset.FromUnixTimeMilliseconds((long)(p.GetProperty("ParametersValidTo").GetDouble() * 1000));
        Assert.InRange(validTo - f.Clock.GetUtcNow(), TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
        return (p.GetProperty("ImportToken").GetString()!, Convert.FromBase64String(p.GetProperty("PublicKey").GetString()!));
    }

    private static string WrapOaepSha1(byte[] publicKeyDer, byte[] material)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.Path("WrappingPublicKey.bin"), publicKeyDer);
        File.WriteAllBytes(dir.Path("PlaintextKeyMaterial.bin"), material);
        OpenSsl(dir, "pkeyutl -encrypt -in PlaintextKeyMaterial.bin -out EncryptedKeyMaterial.bin -inkey WrappingPublicKey.bin -keyform DER -pubin -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1");
        return Convert.ToBase64String(File.ReadAllBytes(dir.Path("EncryptedKeyMaterial.bin")));
    }

    private static string WrapRsaAesSha1(byte[] publicKeyDer, byte[] material)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.Path("WrappingPublicKey.bin"), publicKeyDer);
        File.WriteAllBytes(dir.Path("PlaintextKeyMaterial.bin"), material);
        OpenSsl(dir, "rand -out aes-key.bin 32");
        var aesHex = Convert.ToHexStringLower(File.ReadAllBytes(dir.Path("aes-key.bin")));
        OpenSsl(dir, $"enc -id-aes256-wrap-pad -K {aesHex} -iv A65959A6 -in PlaintextKeyMaterial.bin -out key-material-wrapped.bin");
        OpenSsl(dir, "pkeyutl -encrypt -in aes-key.bin -out aes-key-wrapped.bin -inkey WrappingPublicKey.bin -keyform DER -pubin -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1");
        return Convert.ToBase64String([.. File.ReadAllBytes(dir.Path("aes-key-wrapped.bin")), .. File.ReadAllBytes(dir.Path("key-material-wrapped.bin"))]);
    }

    private static void OpenSsl(TempDir dir, string arguments)
    {
        var psi = new ProcessStartInfo("openssl", arguments) { WorkingDirectory = dir.Root, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"openssl {arguments}: {err}");
    }

    /// Opens a CiphertextBlob on the host with known key material (test-only: proves what the HSM used).
    private static byte[] OpenOnHost(byte[] material, byte[] blob, IReadOnlyDictionary<string, string>? context)
    {
        var header = blob.AsSpan(0, CiphertextBlob.HeaderBytes);
        var iv = blob.AsSpan(CiphertextBlob.HeaderBytes, 12);
        var body = blob.AsSpan(CiphertextBlob.HeaderBytes + 12);
        var plaintext = new byte[body.Length - 16];
        using var gcm = new AesGcm(material, 16);
        gcm.Decrypt(iv, body[..^16], body[^16..], plaintext, CiphertextBlob.Aad(header, context));
        return plaintext;
    }

    private sealed class TempDir : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("csr-byok-").FullName;

        public string Path(string name) => System.IO.Path.Combine(Root, name);

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    private async Task<string> StateAsync(Kms.Api.KmsCaller tenant, string keyId) =>
        (await f.OkAsync(tenant, "DescribeKey", new { KeyId = keyId })).GetProperty("KeyMetadata").GetProperty("KeyState").GetString()!;
}
