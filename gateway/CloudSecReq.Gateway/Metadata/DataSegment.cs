using CloudSecReq.Erasure.Shards;

namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// A run of an object's stored bytes (a single PUT's body, or one part of a multipart upload),
/// erasure-coded into k data + m parity shard files on k + m distinct volumes
/// (docs/erasure-format.md). <see cref="Length"/> is the stored (sealed) length, the length the
/// shards encode; <see cref="PlainLength"/> the object bytes it holds, sealed under a segment key
/// derived from the object's data key with <see cref="Salt"/> and <see cref="PartNumber"/> (0 for a
/// single PUT). A segment without a salt is stored in the clear (only the benchmark build without
/// encryption writes those).
/// <para>
/// An <see cref="Inline"/> segment (a small object, issue 6) has no shard files: its sealed bytes
/// travel inside each copy of the object's manifest (<see cref="ObjectRecord.Manifests"/>,
/// docs/manifest-log.md), written to the volumes' group-committed logs. Such a segment is stored
/// as k = 1, m = its class's m: m + 1 whole copies, no rack holding more than m of them, so it
/// survives what the class's erasure layout survives.
/// </para>
/// </summary>
internal sealed record DataSegment
{
    /// <summary>Sealed bytes the shards encode.</summary>
    public required long Length { get; init; }
    public long PlainLength { get; init; } = -1;
    public byte[]? Salt { get; init; }
    public int PartNumber { get; init; }
    /// <summary>k: data shards.</summary>
    public required int DataShards { get; init; }
    /// <summary>m: parity shards.</summary>
    public required int ParityShards { get; init; }
    /// <summary>Bytes per shard block in full stripes.</summary>
    public required int BlockBytes { get; init; }
    /// <summary>Shard i is <c>Shards[i]</c>; k + m entries on distinct volumes (none for an <see cref="Inline"/> segment).</summary>
    public required IReadOnlyList<ShardBlob> Shards { get; init; }
    /// <summary>The sealed bytes are in the object's manifest copies, not in shard files.</summary>
    public bool Inline { get; init; }

    /// <summary>The object bytes in this segment.</summary>
    public long ObjectBytes => PlainLength >= 0 ? PlainLength : Length;

    /// <summary>Bytes one shard file takes (header, blocks and their checksums).</summary>
    public long ShardFileBytes => Inline ? 0 : new ShardHeader(DataShards, ParityShards, 0, BlockBytes, Length).FileLengthBytes;

    /// <summary>Whether both records describe the same stored files (shard blob ids are unique).</summary>
    public bool SameBlobs(DataSegment other) => Shards.Count > 0 && other.Shards.Count > 0 && Shards[0] == other.Shards[0];
}
