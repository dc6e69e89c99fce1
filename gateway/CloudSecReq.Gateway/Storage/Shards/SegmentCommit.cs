using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Storage.Shards;

/// <summary>
/// A committed segment, the indexes of the shards that could not be written, and whether the
/// placement was degraded (allowed by the operator): in either case the object is to be healed.
/// An inline segment (<see cref="DataSegment.Inline"/>) is not durable yet: its
/// <see cref="InlineBytes"/> become durable with the object's manifest copies, written first to
/// <see cref="PlannedVolumes"/>.
/// </summary>
internal sealed record SegmentCommit(DataSegment Segment, IReadOnlyList<int> MissingShards)
{
    public bool Degraded { get; init; }

    /// <summary>The sealed bytes of an inline segment; null for a segment in shard files.</summary>
    public ReadOnlyMemory<byte>? InlineBytes { get; init; }

    /// <summary>For an inline segment, the volumes the placement plan chose, in plan order.</summary>
    public IReadOnlyList<string> PlannedVolumes { get; init; } = [];

    public bool NeedsHealing => Degraded || MissingShards.Count > 0;
}
