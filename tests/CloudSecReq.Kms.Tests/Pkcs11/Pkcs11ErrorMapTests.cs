using CloudSecReq.Kms.Pkcs11;

namespace CloudSecReq.Kms.Tests.Pkcs11;

public sealed class Pkcs11ErrorMapTests
{
    [Theory]
    [InlineData(0x5UL, "CKR_GENERAL_ERROR", "GeneralError")]
    [InlineData(0x40UL, "CKR_ENCRYPTED_DATA_INVALID", "CiphertextRejected")]
    [InlineData(0x60UL, "CKR_KEY_HANDLE_INVALID", "StaleHandle")]
    [InlineData(0xA0UL, "CKR_PIN_INCORRECT", "Authentication")]
    [InlineData(0xB3UL, "CKR_SESSION_HANDLE_INVALID", "Unavailable")]
    [InlineData(0xE0UL, "CKR_TOKEN_NOT_PRESENT", "Unavailable")]
    [InlineData(0x190UL, "CKR_CRYPTOKI_NOT_INITIALIZED", "Unavailable")]
    [InlineData(0x101UL, "CKR_USER_NOT_LOGGED_IN", "Unavailable")]
    [InlineData(0x70UL, "CKR_MECHANISM_INVALID", "Unsupported")]
    [InlineData(0x6AUL, "CKR_KEY_UNEXTRACTABLE", "NotPermitted")]
    [InlineData(0x110UL, "CKR_WRAPPED_KEY_INVALID", "CiphertextRejected")]
    public void Map_KnownCode_HasNameAndKind(ulong rv, string name, string kind)
    {
        Assert.Equal(name, Pkcs11ErrorMap.Name(rv));
        Assert.Equal(Enum.Parse<Pkcs11ErrorKind>(kind), Pkcs11ErrorMap.Kind(rv));
    }

    [Fact]
    public void Map_UnknownOrVendorCode_IsInternal()
    {
        Assert.Equal(Pkcs11ErrorKind.Internal, Pkcs11ErrorMap.Kind(0x12345));
        Assert.Equal("CKR_VENDOR_DEFINED", Pkcs11ErrorMap.Name(0x80000001));
    }

    [Fact]
    public void Map_AllV240Codes_AreListed()
    {
        // pkcs11t.h v2.40 defines 90 CKR_ values below CKR_VENDOR_DEFINED.
        Assert.True(Pkcs11ErrorMap.KnownCodes.Count() >= 89);
        Assert.All(Pkcs11ErrorMap.KnownCodes, c => Assert.StartsWith("CKR_", Pkcs11ErrorMap.Name(c)));
    }

    [Fact]
    public void CheckDecrypt_GeneralError_IsCiphertextRejected()
    {
        var e = Assert.Throws<Pkcs11Exception>(() => Pkcs11ErrorMap.CheckDecrypt(0x5, "C_Decrypt"));
        Assert.Equal(Pkcs11ErrorKind.CiphertextRejected, e.Kind);
        Assert.Contains("CKR_GENERAL_ERROR", e.Message);
    }

    [Fact]
    public void Check_Ok_DoesNotThrow() => Pkcs11ErrorMap.Check(0, "C_Encrypt");
}
