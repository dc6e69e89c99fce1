using System.Buffers.Binary;

namespace CloudSecReq.Kms.Keys;

/// The symmetric CiphertextBlob (docs/kms.md): format 0x01 ‖ key UUID (16, RFC 4122 order) ‖ key version (4, BE)
/// ‖ IV (12) ‖ ciphertext ‖ GCM tag (16). The 21-byte header and the canonical encryption context form the AAD,
/// so neither the key reference nor the context can be swapped.
internal static class CiphertextBlob
{
    public const byte Format = 0x01;
    public const int HeaderBytes = 21;
    public const int MinBytes = HeaderBytes + 12 + 16;

    public static byte[] Header(Guid keyId, int version)
    {
        var header = new byte[HeaderBytes];
        header[0] = Format;
        keyId.TryWriteBytes(header.AsSpan(1, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(17), version);
        return header;
    }

    public static bool TryParse(ReadOnlySpan<byte> blob, out Guid keyId, out int version)
    {
        keyId = default;
        version = 0;
        if (blob.Length < MinBytes || blob[0] != Format)
        {
            return false;
        }

        keyId = new Guid(blob.Slice(1, 16), bigEndian: true);
        version = BinaryPrimitives.ReadInt32BigEndian(blob.Slice(17, 4));
        return version > 0;
    }

    public static byte[] Aad(ReadOnlySpan<byte> header, IReadOnlyDictionary<string, string>? context) =>
        [.. header, .. EncryptionContext.Canonical(context)];
}
