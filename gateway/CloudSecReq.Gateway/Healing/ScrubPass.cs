namespace CloudSecReq.Gateway.Healing;

/// <summary>One scrub pass over every object: what it checked and found.</summary>
internal sealed record ScrubPass
{
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public long ObjectsChecked { get; init; }
    public long ShardsChecked { get; init; }
    public long BytesChecked { get; init; }
    /// <summary>Shards with a fault: missing, unreadable, failing a checksum, or not of the object.</summary>
    public long FaultyShards { get; init; }
    public long ObjectsQueued { get; init; }
}
