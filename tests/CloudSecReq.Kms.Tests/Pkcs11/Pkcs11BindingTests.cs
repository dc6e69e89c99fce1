using System.Security.Cryptography;
using CloudSecReq.Kms.Pkcs11;

namespace CloudSecReq.Kms.Tests.Pkcs11;

[Collection("Hsm")]
public sealed class Pkcs11BindingTests(HsmFixture fixture)
{
    private Pkcs11SessionPool Pool => fixture.Service.Pool;

    /// A session AES key with known value (extractable test material, never how tenant keys are made).
    private static AttributeTemplate KnownAesKey(byte[] value, bool wrap = false) => new AttributeTemplate()
        .ULong(Ck.CKA_CLASS, Ck.CKO_SECRET_KEY).ULong(Ck.CKA_KEY_TYPE, Ck.CKK_AES)
        .Bool(Ck.CKA_TOKEN, false).Bool(Ck.CKA_ENCRYPT, true).Bool(Ck.CKA_DECRYPT, true)
        .Bool(Ck.CKA_WRAP, wrap).Bool(Ck.CKA_UNWRAP, wrap).Bool(Ck.CKA_EXTRACTABLE, true).Bool(Ck.CKA_SENSITIVE, false)
        .Bytes(Ck.CKA_VALUE, value);

    [Fact]
    public void EncryptAesGcm_KnownKey_MatchesDotNetAesGcm()
    {
        var keyBytes = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(12);
        var aad = "context"u8.ToArray();
        var plaintext = RandomNumberGenerator.GetBytes(100);
        var output = new byte[plaintext.Length + 32];
        var written = Pool.Run(s =>
        {
            var key = s.CreateObject(KnownAesKey(keyBytes));
            try
            {
                return s.EncryptAesGcm(key, iv, aad, plaintext, output);
            }
            finally
            {
                s.DestroyObject(key);
            }
        });

        Assert.Equal(plaintext.Length + 16, written);
        using var gcm = new AesGcm(keyBytes, 16);
        var decrypted = new byte[plaintext.Length];
        gcm.Decrypt(iv, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length, 16), decrypted, aad);
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void DecryptAesGcm_RoundTripAndTamperedTag_RejectsTampered()
    {
        var keyBytes = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(12);
        var plaintext = "hello hsm"u8.ToArray();
        Pool.Run(s =>
        {
            var key = s.CreateObject(KnownAesKey(keyBytes));
            try
            {
                var sealedData = new byte[plaintext.Length + 32];
                var n = s.EncryptAesGcm(key, iv, [], plaintext, sealedData);
                var output = new byte[n];
                var m = s.DecryptAesGcm(key, iv, [], sealedData.AsSpan(0, n), output);
                Assert.Equal(plaintext, output.AsSpan(0, m).ToArray());

                sealedData[n - 1] ^= 1;
                var e = Assert.Throws<Pkcs11Exception>(() => s.DecryptAesGcm(key, iv, [], sealedData.AsSpan(0, n), output));
                Assert.Equal(Pkcs11ErrorKind.CiphertextRejected, e.Kind);

                // A failed C_Decrypt ends the operation: the next one works.
                sealedData[n - 1] ^= 1;
                Assert.Equal(plaintext.Length, s.DecryptAesGcm(key, iv, [], sealedData.AsSpan(0, n), output));
            }
            finally
            {
                s.DestroyObject(key);
            }
        });
    }

    [Fact]
    public void WrapKey_AesKeyWrapPad_MatchesDotNetAndUnwraps()
    {
        var kekBytes = RandomNumberGenerator.GetBytes(32);
        var keyBytes = RandomNumberGenerator.GetBytes(32);
        Pool.Run(s =>
        {
            var kek = s.CreateObject(KnownAesKey(kekBytes, wrap: true));
            var key = s.CreateObject(KnownAesKey(keyBytes));
            try
            {
                var wrapped = s.WrapKey(KeyWrapMechanism.AesKeyWrapPad, kek, key);
                Assert.Equal(40, wrapped.Length);
                using var aes = Aes.Create();
                aes.Key = kekBytes;
                Assert.Equal(keyBytes, aes.DecryptKeyWrapPadded(wrapped));

                var unwrapTemplate = new AttributeTemplate()
                    .ULong(Ck.CKA_CLASS, Ck.CKO_SECRET_KEY).ULong(Ck.CKA_KEY_TYPE, Ck.CKK_AES)
                    .Bool(Ck.CKA_TOKEN, false).Bool(Ck.CKA_SENSITIVE, true).Bool(Ck.CKA_EXTRACTABLE, false);
                var unwrapped = s.UnwrapKey(KeyWrapMechanism.AesKeyWrapPad, kek, aes.EncryptKeyWrapPadded(keyBytes), unwrapTemplate);
                // SoftHSM leaves CKA_VALUE_LEN at 0 on unwrapped keys and refuses it in the template (CKR_ATTRIBUTE_READ_ONLY).
                Assert.Contains(s.GetULongAttribute(unwrapped, Ck.CKA_VALUE_LEN), new ulong?[] { 0, 32 });
                Assert.Null(s.GetAttribute(unwrapped, Ck.CKA_VALUE)); // CKR_ATTRIBUTE_SENSITIVE
                s.DestroyObject(unwrapped);

                wrapped[5] ^= 1;
                var e = Assert.Throws<Pkcs11Exception>(() => s.UnwrapKey(KeyWrapMechanism.AesKeyWrapPad, kek, wrapped, unwrapTemplate));
                Assert.Equal(Pkcs11ErrorKind.CiphertextRejected, e.Kind);
            }
            finally
            {
                s.DestroyObject(key);
                s.DestroyObject(kek);
            }
        });
    }

    [Fact]
    public void SetAttributes_MakeNonExtractableKeyExtractable_IsNotPermitted()
    {
        var label = "test:readonly:" + Guid.NewGuid();
        fixture.Service.Hsm.GenerateAesKey(label);
        try
        {
            Pool.Run(s =>
            {
                var key = s.FindObjects(new AttributeTemplate().Text(Ck.CKA_LABEL, label)).Single();
                Assert.Equal(false, s.GetBoolAttribute(key, Ck.CKA_EXTRACTABLE));
                Assert.Equal(true, s.GetBoolAttribute(key, Ck.CKA_SENSITIVE));
                var e = Assert.Throws<Pkcs11Exception>(() => s.SetAttributes(key, new AttributeTemplate().Bool(Ck.CKA_EXTRACTABLE, true)));
                Assert.Equal("CKR_ATTRIBUTE_READ_ONLY", Pkcs11ErrorMap.Name(e.ReturnValue));
                Assert.Equal(Pkcs11ErrorKind.NotPermitted, e.Kind);
                Assert.DoesNotContain(label, e.Message);
            });
        }
        finally
        {
            fixture.Service.Hsm.Destroy(label);
        }
    }

    [Fact]
    public void SignEcdsa_PlatformKey_VerifiesWithDotNetEcdsa()
    {
        var data = "audit checkpoint 42"u8.ToArray();
        var signature = fixture.Service.Signer.SignData(data);
        Assert.Equal(64, signature.Length);
        using var ec = ECDsa.Create();
        ec.ImportSubjectPublicKeyInfo(fixture.Service.Signer.ExportSubjectPublicKeyInfo(), out _);
        Assert.True(ec.VerifyData(data, signature, HashAlgorithmName.SHA256));
        Assert.False(ec.VerifyData("tampered"u8, signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void GetMechanismInfo_SoftHsm_ReportsGcmAndKwpAndNoRsaAesKeyWrap()
    {
        var gcm = Pool.GetMechanismInfo(Ck.CKM_AES_GCM);
        Assert.NotNull(gcm);
        Assert.True(gcm.Value.Can(Ck.CKF_ENCRYPT) && gcm.Value.Can(Ck.CKF_DECRYPT));
        Assert.True(Pool.GetMechanismInfo(Ck.CKM_AES_KEY_WRAP_PAD)!.Value.Can(Ck.CKF_UNWRAP));
        Assert.NotNull(Pool.GetMechanismInfo(Ck.CKM_ECDSA));
        Assert.Null(Pool.GetMechanismInfo(Ck.CKM_RSA_AES_KEY_WRAP));
    }

    [Fact]
    public void GenerateRandom_TwoCalls_Differ()
    {
        var a = fixture.Service.Hsm.GenerateRandom(32);
        var b = fixture.Service.Hsm.GenerateRandom(32);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void FindObjects_ByLabel_FindsTokenKeyFromNewSession()
    {
        var label = "test:find:" + Guid.NewGuid();
        fixture.Service.Hsm.GenerateAesKey(label);
        Assert.True(fixture.Service.Hsm.Exists(label));
        Assert.Equal(1, fixture.Service.Hsm.Destroy(label));
        Assert.False(fixture.Service.Hsm.Exists(label));
        Assert.Equal(0, fixture.Service.Hsm.Destroy(label));
    }
}
