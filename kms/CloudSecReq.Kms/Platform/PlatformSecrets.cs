using System.Text;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;

namespace CloudSecReq.Kms.Platform;

/// Protects small platform secrets at rest (users' secret access keys, import tokens) with the platform AES-256 key,
/// AES-GCM inside the HSM. Blob: "CSP" ‖ 0x01 ‖ IV(12) ‖ ciphertext ‖ tag(16); the AAD is the 4-byte header ‖
/// UTF-8 of <c>associatedData</c>, so a blob protected for one purpose does not open for another.
/// Thread safe.
public sealed class PlatformSecrets
{
    internal const string KeyLabel = "cloudsecreq:platform:secrets:v1";
    private static readonly byte[] s_header = "CSP\u0001"u8.ToArray();
    private readonly HsmKeyStore _hsm;

    internal PlatformSecrets(HsmKeyStore hsm) => _hsm = hsm;

    /// Encrypts <paramref name="plaintext"/> (≤ 64 KiB) bound to <paramref name="associatedData"/> (e.g. "secret-key:tenant/user").
    /// Throws <see cref="KmsException"/> KeyUnavailable (retryable) when the HSM is unreachable.
    public byte[] Protect(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        if (plaintext.Length > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(plaintext), "At most 64 KiB.");
        }

        var aad = Aad(associatedData);
        var pt = plaintext.ToArray();
        var sealedData = HsmErrors.Guard(() => _hsm.EncryptGcm(KeyLabel, aad, pt));
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(pt);
        return [.. s_header, .. sealedData];
    }

    /// Reverses <see cref="Protect"/> with the same <paramref name="associatedData"/>. Throws <see cref="KmsException"/>
    /// InvalidCiphertext for a tampered blob or other associated data, KeyUnavailable when the HSM is unreachable.
    /// The caller owns the returned plaintext and should zero it after use.
    public byte[] Unprotect(ReadOnlySpan<byte> protectedData, string associatedData)
    {
        if (protectedData.Length < s_header.Length + HsmKeyStore.GcmIvBytes + HsmKeyStore.GcmTagBytes
            || !protectedData[..s_header.Length].SequenceEqual(s_header))
        {
            throw new KmsException(KmsErrorCode.InvalidCiphertext, "Not a protected platform secret.");
        }

        var aad = Aad(associatedData);
        var body = protectedData[s_header.Length..].ToArray();
        return HsmErrors.Guard(() => _hsm.DecryptGcm(KeyLabel, aad, body));
    }

    private static byte[] Aad(string associatedData) => [.. s_header, .. Encoding.UTF8.GetBytes(associatedData)];
}
