namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// A run of an object's stored bytes: one blob on one volume (objects from multipart uploads have
/// one per part). <see cref="Length"/> is the stored (sealed) length; <see cref="PlainLength"/> the
/// object bytes it holds, sealed under a segment key derived from the object's data key with
/// <see cref="Salt"/> and <see cref="PartNumber"/> (0 for a single PUT). A segment without a salt is
/// stored in the clear (only the benchmark build without encryption writes those).
/// </summary>
internal sealed record DataSegment(string VolumeId, string BlobId, long Length)
{
    public long PlainLength { get; init; } = -1;
    public byte[]? Salt { get; init; }
    public int PartNumber { get; init; }

    /// <summary>The object bytes in this segment.</summary>
    public long ObjectBytes => PlainLength >= 0 ? PlainLength : Length;

    /// <summary>Identity of the stored blob, whatever else the record carries.</summary>
    public bool SameBlob(DataSegment other) => VolumeId == other.VolumeId && BlobId == other.BlobId;
}
