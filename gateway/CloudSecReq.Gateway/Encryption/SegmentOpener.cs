using System.Buffers;
using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Encryption;

/// <summary>
/// Reads plaintext ranges of one sealed segment (format v1, docs/encryption-format.md), decrypting
/// only the packages the range touches. Thread-safe (no shared state).
/// </summary>
internal static class SegmentOpener
{
    /// <summary>
    /// Copies plaintext [<paramref name="plainOffset"/>, <paramref name="plainOffset"/> + <paramref name="count"/>)
    /// of a segment of <paramref name="plainLength"/> bytes into <paramref name="destination"/>.
    /// <paramref name="openAt"/>(storedOffset) is called once and returns a readable stream of the
    /// segment's blob positioned at that stored offset; this method disposes it. Each touched package
    /// is read whole, decrypted into a private buffer and verified before any of it is written, so no
    /// unverified byte ever reaches <paramref name="destination"/>; packages before a damaged one may
    /// already have been written when the exception is thrown. A zero <paramref name="count"/> reads
    /// nothing, except for an empty segment, whose single empty final package is still verified.
    /// Throws <see cref="SegmentIntegrityException"/> when a touched package fails its tag (flipped,
    /// swapped, reordered, foreign, wrong key or part number, wrong final flag), when the blob ends
    /// inside a touched package, or when bytes follow the final package; throws
    /// <see cref="ArgumentOutOfRangeException"/> for a range outside the segment.
    /// </summary>
    public static async Task CopyPlaintextAsync(
        Func<long, Stream> openAt,
        SegmentKey key,
        long plainLength,
        long plainOffset,
        long count,
        Stream destination,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(openAt);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(plainLength);
        ArgumentOutOfRangeException.ThrowIfNegative(plainOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, plainLength - plainOffset);
        if (count == 0 && plainLength != 0)
        {
            return;
        }

        var packageCount = SealedFormat.PackageCount(plainLength);
        var firstPackage = plainOffset / SealedFormat.PackagePlainBytes;
        var lastPackage = count == 0 ? 0 : (plainOffset + count - 1) / SealedFormat.PackagePlainBytes;
        var partNumber = key.PartNumber;

        using var aes = new AesGcm(key.Bytes, SealedFormat.TagBytes);
        // One extra byte: after the final package, a read of one more byte must find the end.
        var buffer = ArrayPool<byte>.Shared.Rent(SealedFormat.PackageSealedBytes + 1);
        try
        {
            var blob = openAt(SealedFormat.PackageSealedOffset(firstPackage));
            await using (blob.ConfigureAwait(false))
            {
                for (var index = firstPackage; index <= lastPackage; index++)
                {
                    var final = index == packageCount - 1;
                    var plainBytes = SealedFormat.PackagePlainLength(plainLength, index);
                    var sealedBytes = plainBytes + SealedFormat.TagBytes;
                    var read = await blob.ReadAtLeastAsync(buffer.AsMemory(0, sealedBytes), sealedBytes, throwOnEndOfStream: false, ct)
                        .ConfigureAwait(false);
                    if (read < sealedBytes)
                    {
                        throw new SegmentIntegrityException(partNumber, index, "stored segment ends inside the package");
                    }
                    if (final && await blob.ReadAsync(buffer.AsMemory(sealedBytes, 1), ct).ConfigureAwait(false) != 0)
                    {
                        throw new SegmentIntegrityException(partNumber, index, "bytes follow the final package");
                    }
                    Open(aes, buffer.AsSpan(0, sealedBytes), partNumber, index, final);

                    var packageStart = index * SealedFormat.PackagePlainBytes;
                    var sliceStart = (int)Math.Max(0, plainOffset - packageStart);
                    var sliceEnd = (int)Math.Min(plainBytes, plainOffset + count - packageStart);
                    if (sliceEnd > sliceStart)
                    {
                        await destination.WriteAsync(buffer.AsMemory(sliceStart, sliceEnd - sliceStart), ct).ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    // Decrypts ciphertext || tag in place; on success [0, plainBytes) holds the plaintext.
    private static void Open(AesGcm aes, Span<byte> sealedPackage, int partNumber, long index, bool final)
    {
        Span<byte> nonce = stackalloc byte[SealedFormat.NonceBytes];
        Span<byte> aad = stackalloc byte[SealedFormat.AadBytes];
        SealedFormat.WriteNonce(nonce, partNumber, index);
        SealedFormat.WriteAad(aad, partNumber, index, final);
        var plainBytes = sealedPackage.Length - SealedFormat.TagBytes;
        var ciphertext = sealedPackage[..plainBytes];
        try
        {
            aes.Decrypt(nonce, ciphertext, sealedPackage[plainBytes..], ciphertext, aad);
        }
        catch (AuthenticationTagMismatchException e)
        {
            // AesGcm has already zeroed the output; nothing unverified is left in the buffer.
            throw new SegmentIntegrityException(partNumber, index, "authentication tag mismatch", e);
        }
    }
}
