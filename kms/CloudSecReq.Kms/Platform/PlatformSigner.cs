using System.Security.Cryptography;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;

namespace CloudSecReq.Kms.Platform;

/// The platform's ECDSA P-256 signing key (audit checkpoints, sanitisation certificates). The private key is a
/// non-extractable HSM object; hashing (SHA-256) happens on the host. Thread safe.
public sealed class PlatformSigner
{
    internal const string KeyLabel = "cloudsecreq:platform:signing:v1";
    private readonly HsmKeyStore _hsm;
    private readonly Lazy<byte[]> _publicKey;

    internal PlatformSigner(HsmKeyStore hsm)
    {
        _hsm = hsm;
        _publicKey = new Lazy<byte[]>(() => HsmErrors.Guard(() => _hsm.GetEcPublicKey(KeyLabel)));
    }

    /// Signs SHA-256(<paramref name="data"/>); returns the IEEE P1363 signature r‖s (64 bytes), as
    /// <c>ECDsa.VerifyData(data, sig, HashAlgorithmName.SHA256)</c> expects. Throws <see cref="KmsException"/>
    /// KeyUnavailable when the HSM is unreachable.
    public byte[] SignData(ReadOnlySpan<byte> data)
    {
        var hash = SHA256.HashData(data);
        return HsmErrors.Guard(() => _hsm.SignEcdsa(KeyLabel, hash));
    }

    /// The public key as X.509 SubjectPublicKeyInfo DER (import with ECDsa.ImportSubjectPublicKeyInfo).
    public byte[] ExportSubjectPublicKeyInfo() => (byte[])_publicKey.Value.Clone();

    /// Verifies a <see cref="SignData"/> signature on the host with the public key.
    public bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var ec = ECDsa.Create();
        ec.ImportSubjectPublicKeyInfo(_publicKey.Value, out _);
        return ec.VerifyData(data, signature, HashAlgorithmName.SHA256);
    }
}
