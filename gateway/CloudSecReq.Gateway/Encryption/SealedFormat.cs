using System.Buffers.Binary;

namespace CloudSecReq.Gateway.Encryption;

/// <summary>
/// Constants and layout of the sealed segment format, version 1 (docs/encryption-format.md): the
/// plaintext is cut into 64 KiB packages, each stored as AES-256-GCM ciphertext followed by its
/// 16-byte tag. Pure functions; thread-safe.
/// </summary>
internal static class SealedFormat
{
    public const int Version = 1;
    public const int PackagePlainBytes = 64 * 1024;
    public const int TagBytes = 16;
    public const int SaltBytes = 16;
    public const int NonceBytes = 12;

    /// <summary>Stored bytes of a full package: ciphertext plus tag.</summary>
    public const int PackageSealedBytes = PackagePlainBytes + TagBytes;

    /// <summary>"CSR" || version || partNumber (4) || package index (8) || final flag (1).</summary>
    public const int AadBytes = 3 + 1 + 4 + 8 + 1;

    /// <summary>
    /// Stored length of a segment of <paramref name="plainLength"/> bytes. An empty segment is one
    /// empty final package: 16 bytes. Throws <see cref="ArgumentOutOfRangeException"/> when negative.
    /// </summary>
    public static long SealedLength(long plainLength) => plainLength + PackageCount(plainLength) * TagBytes;

    /// <summary>Packages of a segment: max(1, ceil(plainLength / 64 KiB)).</summary>
    public static long PackageCount(long plainLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plainLength);
        return plainLength == 0 ? 1 : (plainLength + PackagePlainBytes - 1) / PackagePlainBytes;
    }

    /// <summary>Plaintext bytes in package <paramref name="packageIndex"/> of a segment of <paramref name="plainLength"/> bytes.</summary>
    public static int PackagePlainLength(long plainLength, long packageIndex)
    {
        var count = PackageCount(plainLength);
        ArgumentOutOfRangeException.ThrowIfNegative(packageIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(packageIndex, count);
        return packageIndex < count - 1 ? PackagePlainBytes : (int)(plainLength - packageIndex * PackagePlainBytes);
    }

    /// <summary>Offset of package <paramref name="packageIndex"/> in the stored segment.</summary>
    public static long PackageSealedOffset(long packageIndex) => packageIndex * PackageSealedBytes;

    /// <summary>Nonce of a package: partNumber (4 bytes BE) || package index (8 bytes BE).</summary>
    public static void WriteNonce(Span<byte> nonce, int partNumber, long packageIndex)
    {
        BinaryPrimitives.WriteInt32BigEndian(nonce, partNumber);
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..NonceBytes], packageIndex);
    }

    /// <summary>Authenticated data of a package: "CSR" || version || partNumber (4 BE) || index (8 BE) || final (1).</summary>
    public static void WriteAad(Span<byte> aad, int partNumber, long packageIndex, bool final)
    {
        aad[0] = (byte)'C';
        aad[1] = (byte)'S';
        aad[2] = (byte)'R';
        aad[3] = Version;
        BinaryPrimitives.WriteInt32BigEndian(aad[4..8], partNumber);
        BinaryPrimitives.WriteInt64BigEndian(aad[8..16], packageIndex);
        aad[16] = final ? (byte)1 : (byte)0;
    }
}
