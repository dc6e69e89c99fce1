using System.Security.Cryptography;
using CloudSecReq.Gateway.Encryption;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Storage;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// An object's bytes as stream stages. Writing: plaintext → <see cref="SealingStream"/> (64 KiB AES-GCM
/// packages under a segment key) → a blob on a volume. Reading: only the packages a range touches are
/// read, verified and decrypted; no unverified byte is ever written to the destination.
/// </summary>
internal static class ObjectBody
{
    /// <summary>
    /// Writes one segment (a single PUT's body or a part): <paramref name="produce"/> writes the plaintext
    /// into the stream it is given. With a data key the segment is sealed under a key derived from it, a
    /// fresh random salt and <paramref name="partNumber"/> (0 for a single PUT); without one (only the
    /// benchmark build without encryption) it is stored as is. Returns the committed segment.
    /// </summary>
    public static async Task<(DataSegment Segment, T Result)> WriteSegmentAsync<T>(BlobStore blobs, PinnedKey? dataKey, int partNumber, Func<Stream, Task<T>> produce, CancellationToken ct)
    {
        await using var writer = blobs.Create();
        if (dataKey is null)
        {
            var plainResult = await produce(writer.Stream);
            var plain = await writer.CommitAsync(ct);
            return (plain with { PlainLength = plain.Length, PartNumber = partNumber }, plainResult);
        }
        var salt = DataKeys.NewSalt();
        T result;
        long plainLength;
        using (var segmentKey = SegmentKey.Derive(dataKey.Bytes, salt, partNumber))
        await using (var sealing = new SealingStream(writer.Stream, segmentKey))
        {
            result = await produce(sealing);
            await sealing.FinishAsync(ct);
            plainLength = sealing.PlainLength;
        }
        var segment = await writer.CommitAsync(ct);
        return (segment with { PlainLength = plainLength, Salt = salt, PartNumber = partNumber }, result);
    }

    /// <summary>Streams the object bytes [offset, offset+length) to <paramref name="destination"/>, also into <paramref name="hash"/> when given.</summary>
    public static async Task CopyAsync(BlobStore blobs, ObjectRecord record, PinnedKey? dataKey, long offset, long length, Stream destination, IncrementalHash? hash, CancellationToken ct)
    {
        if (record.Encryption is null)
        {
            await SegmentReader.CopyRangeAsync(blobs, record.Segments, offset, length, destination, hash, ct);
            return;
        }
        ArgumentNullException.ThrowIfNull(dataKey);
        var target = hash is null ? destination : new HashingWriteStream(destination, hash);
        long segmentStart = 0;
        foreach (var segment in record.Segments)
        {
            if (length <= 0)
            {
                break;
            }
            var plainLength = segment.ObjectBytes;
            if (offset < segmentStart + plainLength)
            {
                var within = offset - segmentStart;
                var take = Math.Min(length, plainLength - within);
                using var segmentKey = SegmentKey.Derive(dataKey.Bytes, segment.Salt ?? throw new SegmentIntegrityException(segment.PartNumber, 0, "the segment has no salt"), segment.PartNumber);
                await SegmentOpener.CopyPlaintextAsync(storedOffset => blobs.OpenRead(segment, storedOffset), segmentKey, plainLength, within, take, target, ct);
                offset += take;
                length -= take;
            }
            segmentStart += plainLength;
        }
    }
}
