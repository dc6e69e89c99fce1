using System.Formats.Asn1;
using System.Security.Cryptography;
using CloudSecReq.Kms.Platform;

namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// Detached signatures of certificates: ECDSA P-256 over SHA-256 of the file's bytes with the platform
/// signing key in the HSM (<see cref="PlatformSigner"/>), written DER-encoded (RFC 3279
/// Ecdsa-Sig-Value), the form <c>openssl dgst -sha256 -verify platform.pem -signature cert.json.sig
/// cert.json</c> reads; the public key published as PEM SubjectPublicKeyInfo. Verification needs
/// only the public key (offline).
/// </summary>
internal static class CertificateSignature
{
    public const string Algorithm = "ECDSA P-256 with SHA-256 (ecdsa-with-SHA256)";
    public const string Encoding = "DER (RFC 3279 Ecdsa-Sig-Value), detached";
    public const string Extension = ".sig";

    /// <summary>Signs <paramref name="data"/> in the HSM; returns the DER signature.</summary>
    /// <exception cref="Kms.Api.KmsException">The HSM is unavailable.</exception>
    public static byte[] Sign(PlatformSigner signer, ReadOnlySpan<byte> data)
    {
        var p1363 = signer.SignData(data);
        var half = p1363.Length / 2;
        var der = new AsnWriter(AsnEncodingRules.DER);
        using (der.PushSequence())
        {
            der.WriteIntegerUnsigned(p1363.AsSpan(0, half));
            der.WriteIntegerUnsigned(p1363.AsSpan(half));
        }
        return der.Encode();
    }

    /// <summary>The platform public key as PEM ("-----BEGIN PUBLIC KEY-----").</summary>
    public static string PublicKeyPem(PlatformSigner signer) => PemEncoding.WriteString("PUBLIC KEY", signer.ExportSubjectPublicKeyInfo()) + "\n";

    /// <summary>Lower-case hex SHA-256 of a public key's SubjectPublicKeyInfo DER: the key's fingerprint in certificates.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>The SubjectPublicKeyInfo DER in a PEM text; throws <see cref="ArgumentException"/> when it holds none.</summary>
    public static byte[] ReadPublicKeyPem(string pem)
    {
        var fields = PemEncoding.Find(pem);
        if (pem[fields.Label] is not "PUBLIC KEY")
        {
            throw new ArgumentException("The PEM file does not hold a PUBLIC KEY.");
        }
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }

    /// <summary>Whether <paramref name="derSignature"/> is a valid signature of <paramref name="data"/> under the P-256 key in <paramref name="subjectPublicKeyInfo"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> derSignature, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        using var ec = ECDsa.Create();
        ec.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        if (ec.KeySize != 256)
        {
            return false;
        }
        try
        {
            return ec.VerifyData(data, derSignature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
