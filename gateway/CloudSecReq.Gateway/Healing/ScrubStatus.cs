namespace CloudSecReq.Gateway.Healing;

/// <summary>The scrubber's part of <see cref="HealStatus"/>: the pass under way and the last finished one.</summary>
internal sealed record ScrubStatus
{
    /// <summary>idle, scrubbing, or disabled (ScrubBytesPerSecond is 0).</summary>
    public string State { get; init; } = "idle";
    public long BytesPerSecondLimit { get; init; }
    public ScrubPass? Current { get; init; }
    public ScrubPass? Last { get; init; }
}
