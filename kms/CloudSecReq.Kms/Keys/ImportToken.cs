using System.Buffers.Binary;
using System.Text;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;
using CloudSecReq.Kms.Platform;

namespace CloudSecReq.Kms.Keys;

/// The import token: key UUID (16) ‖ expiry (8, unix ms BE) ‖ wrapping algorithm (1) ‖ RSA size in bytes (2, BE) ‖
/// wrapping key label (UTF-8), sealed with the platform secrets key (AES-GCM in the HSM) so it can be neither read
/// nor forged, and bound to its purpose by the associated data.
internal static class ImportToken
{
    private const string Purpose = "kms:import-token:v1";

    public static byte[] Create(PlatformSecrets secrets, Guid keyId, DateTimeOffset expires, ImportWrapping wrapping, int rsaBytes, string wrappingLabel)
    {
        var label = Encoding.UTF8.GetBytes(wrappingLabel);
        var content = new byte[16 + 8 + 1 + 2 + label.Length];
        keyId.TryWriteBytes(content.AsSpan(0, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(content.AsSpan(16), expires.ToUnixTimeMilliseconds());
        content[24] = (byte)wrapping;
        BinaryPrimitives.WriteUInt16BigEndian(content.AsSpan(25), (ushort)rsaBytes);
        label.CopyTo(content.AsSpan(27));
        return secrets.Protect(content, Purpose);
    }

    /// Opens a token. Throws InvalidImportToken for anything forged, tampered or malformed.
    public static (Guid KeyId, DateTimeOffset Expires, ImportWrapping Wrapping, int RsaBytes, string WrappingLabel) Open(PlatformSecrets secrets, byte[] token)
    {
        byte[] content;
        try
        {
            content = secrets.Unprotect(token, Purpose);
        }
        catch (KmsException e) when (e.Code == KmsErrorCode.InvalidCiphertext)
        {
            throw new KmsException(KmsErrorCode.InvalidImportToken, "The import token is invalid.");
        }

        if (content.Length < 28 || !Enum.IsDefined((ImportWrapping)content[24]))
        {
            throw new KmsException(KmsErrorCode.InvalidImportToken, "The import token is invalid.");
        }

        return (
            new Guid(content.AsSpan(0, 16), bigEndian: true),
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(content.AsSpan(16))),
            (ImportWrapping)content[24],
            BinaryPrimitives.ReadUInt16BigEndian(content.AsSpan(25)),
            Encoding.UTF8.GetString(content.AsSpan(27)));
    }
}
