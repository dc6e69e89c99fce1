namespace CloudSecReq.Erasure.Codec;

/// Thrown when fewer than k shards (or shard blocks) are usable, so the data cannot be rebuilt.
/// Names every shard that was missing or bad, so that an operator knows where to look.
public sealed class ShardLossException : Exception
{
    public ShardLossException(string message, IReadOnlyList<int> unavailableShards)
        : base(message)
    {
        UnavailableShards = unavailableShards;
    }

    /// Indexes (0-based, data shards first) of the shards that could not be used.
    public IReadOnlyList<int> UnavailableShards { get; }
}
