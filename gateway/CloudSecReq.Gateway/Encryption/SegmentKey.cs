using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Encryption;

/// <summary>
/// The AES-256 key of one sealed segment: HKDF-SHA256(ikm: data key, salt: the segment's random
/// 16-byte salt, info: "cloudsecreq/sse/v1" || partNumber (4 bytes BE)) → 32 bytes. The bytes live
/// in a pinned array that <see cref="Dispose"/> zeroes. Reading <see cref="Bytes"/> from several
/// threads is safe; disposing while another thread reads is not.
/// </summary>
internal sealed class SegmentKey : IDisposable
{
    public const int KeyBytes = 32;

    private static ReadOnlySpan<byte> InfoPrefix => "cloudsecreq/sse/v1"u8;

    private readonly byte[] _bytes;
    private bool _disposed;

    private SegmentKey(byte[] bytes, int partNumber)
    {
        _bytes = bytes;
        PartNumber = partNumber;
    }

    /// <summary>The part number bound into the key, nonces and AAD (0 for a single-part object).</summary>
    public int PartNumber { get; }

    /// <summary>The 32 key bytes. Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>
    /// Derives the key of segment <paramref name="partNumber"/> (≥ 0) from a 32-byte data key and a
    /// 16-byte salt. Throws <see cref="ArgumentException"/> on other lengths or a negative part number.
    /// </summary>
    public static SegmentKey Derive(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> salt, int partNumber)
    {
        if (dataKey.Length != DataKeys.DataKeyBytes)
        {
            throw new ArgumentException($"A data key is {DataKeys.DataKeyBytes} bytes.", nameof(dataKey));
        }
        if (salt.Length != SealedFormat.SaltBytes)
        {
            throw new ArgumentException($"A segment salt is {SealedFormat.SaltBytes} bytes.", nameof(salt));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(partNumber);

        Span<byte> info = stackalloc byte[InfoPrefix.Length + 4];
        InfoPrefix.CopyTo(info);
        BinaryPrimitives.WriteInt32BigEndian(info[InfoPrefix.Length..], partNumber);

        var bytes = GC.AllocateArray<byte>(KeyBytes, pinned: true);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey, bytes, salt, info);
        return new SegmentKey(bytes, partNumber);
    }

    /// <summary>Zeroes the key bytes. Idempotent.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_bytes);
    }
}
