using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Storage;

/// <summary>
/// A committed segment, the indexes of the shards that could not be written, and whether the
/// placement was degraded (allowed by the operator): in either case the object is to be healed.
/// </summary>
internal sealed record SegmentCommit(DataSegment Segment, IReadOnlyList<int> MissingShards)
{
    public bool Degraded { get; init; }

    public bool NeedsHealing => Degraded || MissingShards.Count > 0;
}
