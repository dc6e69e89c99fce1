using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.RecordLog;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// The bytes of small objects stored inline, read back from their manifest copies in the volumes'
/// logs (<see cref="BlobStore.Logs"/>): storage hands out the records, this checks that they are
/// authentic manifests (<see cref="ManifestCodec"/>) and takes the bytes out. Thread-safe.
/// </summary>
internal sealed class InlineCopies(BlobStore blobs, ManifestCodec codec)
{
    /// <summary>
    /// Reads the inline bytes (sealed) of small object <paramref name="owner"/> from one of its manifest
    /// copies: the record is read with one positional read, checked against its CRCs
    /// (<see cref="ManifestLog.ReadAsync"/>) and its MAC (<see cref="ManifestCodec.Authenticates"/>), and
    /// its bytes must be as long as the owner's segment. Returns the bytes, or why the copy cannot be
    /// had: unreachable (volume out of use, log not open, a read error) or damaged (segment gone, record
    /// released, damaged or not authentic, no or other bytes, not the owner's). Never throws for a bad copy.
    /// </summary>
    /// <param name="confirmOwner">
    /// Also decode the record and require it to be the owner's manifest (bucket, key, salt and length):
    /// the MAC says a record is authentic, not whose it is. Readers that copy the bytes elsewhere
    /// (healing, tagging) ask for this before spreading them; a GET does not, as AES-GCM under the
    /// object's key refuses foreign bytes.
    /// </param>
    public async ValueTask<InlineRead> ReadAsync(ManifestCopy copy, ObjectRecord owner, bool confirmOwner, CancellationToken ct)
    {
        if (blobs.FindVolume(copy.VolumeId) is not { IsUsable: true })
        {
            return InlineRead.Unreachable($"volume {copy.VolumeId} is not in use");
        }
        if (blobs.Logs?.Find(copy.VolumeId) is not { } log)
        {
            return InlineRead.Unreachable($"the log of volume {copy.VolumeId} cannot be opened");
        }
        string Where() => $"the record at {copy.Extent.Segment}@{copy.Extent.Offset} on volume {copy.VolumeId}";
        byte[]? payload;
        try
        {
            payload = await log.ReadAsync(copy.Extent, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException)
        {
            return InlineRead.Damaged($"{Where()} is gone: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return InlineRead.Unreachable($"reading {Where()} failed: {e.Message}");
        }
        if (payload is null)
        {
            return InlineRead.Damaged($"{Where()} is released or damaged");
        }
        if (!codec.Authenticates(payload))
        {
            return InlineRead.Damaged($"{Where()} fails its MAC");
        }
        if (confirmOwner && !IsManifestOf(codec.TryDecode(payload)?.Object, owner))
        {
            return InlineRead.Damaged($"{Where()} is not a manifest of {owner.Bucket}/{owner.Key}");
        }
        return ManifestCodec.InlineBytes(payload) is { } bytes && bytes.Length == owner.Segments[0].Length
            ? new InlineRead(bytes, null, false)
            : InlineRead.Damaged($"{Where()} does not hold the object's {owner.Segments[0].Length} bytes");
    }

    /// <summary>The inline bytes of <paramref name="owner"/> from the first of its copies that reads back intact, authentic and its own (see <see cref="ReadAsync(ManifestCopy, ObjectRecord, bool, CancellationToken)"/>), or null.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(ObjectRecord owner, CancellationToken ct)
    {
        foreach (var copy in owner.Manifests)
        {
            if ((await ReadAsync(copy, owner, confirmOwner: true, ct)).Bytes is { } bytes)
            {
                return bytes;
            }
        }
        return null;
    }

    // The salt is random per write, so bucket, key and salt name one write of one object.
    private static bool IsManifestOf(ObjectRecord? described, ObjectRecord owner) =>
        described is { Segments: [{ Inline: true } segment] } && owner.Segments is [{ } own]
        && described.Bucket == owner.Bucket && described.Key == owner.Key && segment.Length == own.Length
        && (segment.Salt ?? []).AsSpan().SequenceEqual(own.Salt ?? []);
}
