using CloudSecReq.Kms.Api;

namespace CloudSecReq.Kms.Tests.Platform;

[Collection("Hsm")]
public sealed class PlatformSecretsTests(HsmFixture fixture)
{
    [Fact]
    public void Protect_ThenUnprotectWithSameLabel_ReturnsPlaintext()
    {
        var secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"u8.ToArray();
        var blob = fixture.Service.Secrets.Protect(secret, "secret-key:t1/alice");
        Assert.DoesNotContain("wJalr", System.Text.Encoding.Latin1.GetString(blob));
        Assert.Equal(secret, fixture.Service.Secrets.Unprotect(blob, "secret-key:t1/alice"));
    }

    [Fact]
    public void Unprotect_OtherLabelOrTampered_ThrowsInvalidCiphertext()
    {
        var blob = fixture.Service.Secrets.Protect("s3cr3t"u8, "secret-key:t1/alice");
        Assert.Equal(KmsErrorCode.InvalidCiphertext,
            Assert.Throws<KmsException>(() => fixture.Service.Secrets.Unprotect(blob, "secret-key:t1/bob")).Code);
        blob[^1] ^= 1;
        Assert.Equal(KmsErrorCode.InvalidCiphertext,
            Assert.Throws<KmsException>(() => fixture.Service.Secrets.Unprotect(blob, "secret-key:t1/alice")).Code);
    }

    [Fact]
    public void Signer_VerifyData_AcceptsOwnSignature()
    {
        var sig = fixture.Service.Signer.SignData("x"u8);
        Assert.True(fixture.Service.Signer.VerifyData("x"u8, sig));
    }
}
