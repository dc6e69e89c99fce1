using CloudSecReq.Gateway.Encryption;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// One segment (a single PUT's body, a copy, or a part) being written, as stream stages: plaintext
/// written to <see cref="Plaintext"/> → <see cref="SealingStream"/> (64 KiB AES-GCM packages under a
/// key derived from the data key, a fresh salt and the part number; no sealing without a data key,
/// only in the benchmark build without encryption) → either the k + m shard files of
/// <see cref="SegmentWriter"/> on the volumes the placement plan chose, or, for a single PUT whose
/// declared length is at most <see cref="BlobStore.InlineMaxBytes"/>, a buffer whose bytes the
/// object's manifest copies carry (an inline segment, durable only with the manifest).
/// Owns the segment key, the sealing stream and the temporary shard files: disposing without a
/// successful <see cref="CommitAsync"/> drops them. Not thread-safe.
/// </summary>
internal sealed class SegmentWrite : IAsyncDisposable
{
    private readonly PlacementPlan _plan;
    private readonly int _partNumber;
    private readonly SegmentWriter? _shards;
    private readonly MemoryStream? _inline;
    private readonly byte[]? _inlineBuffer;
    private readonly SegmentKey? _segmentKey;
    private readonly SealingStream? _sealing;
    private readonly byte[]? _salt;
    private readonly Stream _stored;

    private SegmentWrite(PlacementPlan plan, int partNumber, SegmentWriter? shards, byte[]? inlineBuffer, PinnedKey? dataKey)
    {
        _plan = plan;
        _partNumber = partNumber;
        _shards = shards;
        _inlineBuffer = inlineBuffer;
        _inline = inlineBuffer is null ? null : new MemoryStream(inlineBuffer, writable: true);
        _stored = (Stream?)_inline ?? shards!.Stream;
        if (dataKey is not null)
        {
            _salt = DataKeys.NewSalt();
            _segmentKey = SegmentKey.Derive(dataKey.Bytes, _salt, partNumber);
            _sealing = new SealingStream(_stored, _segmentKey);
        }
    }

    /// <summary>Where the segment's plaintext goes.</summary>
    public Stream Plaintext => (Stream?)_sealing ?? _stored;

    /// <summary>
    /// Plans the segment in <paramref name="storageClass"/>'s layout and opens it. The placement rule
    /// is checked for an inline segment all the same. Throws <see cref="ObjectFailure.PlacementRefused"/>
    /// when the usable volumes cannot keep the placement rule.
    /// </summary>
    /// <param name="expectedPlainBytes">The declared length when known: volumes without room for a shard of it are not chosen.</param>
    /// <param name="partNumber">0 for a single PUT or copy; the part number of a part.</param>
    public static SegmentWrite Open(BlobStore blobs, StorageClass storageClass, long? expectedPlainBytes, PinnedKey? dataKey, int partNumber)
    {
        var inline = partNumber == 0 && expectedPlainBytes is { } declared && declared <= blobs.InlineMaxBytes;
        var shardBytes = expectedPlainBytes is { } plain ? SealedFormat.SealedLength(plain) / storageClass.DataShards + 4096 : 0;
        var placement = blobs.Plan(storageClass, inline ? SealedFormat.SealedLength(expectedPlainBytes!.Value) : shardBytes);
        if (!placement.Succeeded)
        {
            throw PlacementRefused(placement.Failure);
        }
        if (inline)
        {
            // Exactly the declared size: BodyIngest refuses a body longer than declared before it reaches here.
            var buffer = new byte[dataKey is null ? expectedPlainBytes!.Value : SealedFormat.SealedLength(expectedPlainBytes!.Value)];
            return new SegmentWrite(placement.Plan, partNumber, null, buffer, dataKey);
        }
        return new SegmentWrite(placement.Plan, partNumber, blobs.CreateSegment(placement.Plan), null, dataKey);
    }

    /// <summary>
    /// Seals the final package, then makes the shards durable (fsync, rename; at least k + the write
    /// quorum of them) or, inline, returns the sealed bytes for the manifest copies. Throws
    /// <see cref="ObjectFailure.Unavailable"/> when too few shards became durable; nothing is left behind then.
    /// </summary>
    public async Task<SegmentCommit> CommitAsync(CancellationToken ct)
    {
        long plainLength;
        if (_sealing is not null)
        {
            await _sealing.FinishAsync(ct);
            plainLength = _sealing.PlainLength;
        }
        else
        {
            plainLength = _stored.Position;
        }
        if (_inline is not null)
        {
            // Stored as k = 1, m = the class's m: m + 1 whole copies, placed one rack at a time over the plan's volumes.
            var segment = new DataSegment
            {
                Length = _inline.Position,
                PlainLength = plainLength,
                Salt = _salt,
                DataShards = 1,
                ParityShards = _plan.StorageClass.ParityShards,
                BlockBytes = 0,
                Shards = [],
                Inline = true,
            };
            return new SegmentCommit(segment, [])
            {
                InlineBytes = _inlineBuffer.AsMemory(0, (int)_inline.Position),
                PlannedVolumes = _plan.Volumes.Select(v => v.Id).ToList(),
                Degraded = _plan.Degraded,
            };
        }
        SegmentCommit commit;
        try
        {
            commit = await _shards!.CommitAsync(ct);
        }
        catch (IOException e)
        {
            throw new ObjectException(ObjectFailure.Unavailable, "Too few shards of the object could be stored; please retry.", e);
        }
        return commit with
        {
            Segment = commit.Segment with { PlainLength = plainLength, Salt = _salt, PartNumber = _partNumber },
            Degraded = _plan.Degraded,
        };
    }

    /// <summary>The documented refusal of a write the healthy topology cannot place safely (docs/s3-api.md).</summary>
    private static ObjectException PlacementRefused(PlacementFailure failure) =>
        new ObjectException(ObjectFailure.PlacementRefused,
            "The storage cannot place this object safely right now: " + failure.Message + " Retry later, or ask the operator.")
            .With("PlacementRefusal", failure.Reason.ToString());

    public async ValueTask DisposeAsync()
    {
        if (_sealing is not null)
        {
            await _sealing.DisposeAsync();
        }
        _segmentKey?.Dispose();
        _inline?.Dispose();
        if (_shards is not null)
        {
            await _shards.DisposeAsync();
        }
    }
}
