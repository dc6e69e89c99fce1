namespace CloudSecReq.Erasure.Shards;

/// A shard (or one block of it) that a read found bad and worked around; the caller should heal it.
/// <param name="ShardIndex">0-based shard position, data shards first.</param>
/// <param name="Kind">What was wrong.</param>
/// <param name="Stripe">The stripe whose block was bad, or null when the whole shard was unusable.</param>
/// <param name="Detail">A human-readable explanation naming the shard.</param>
public sealed record ShardFault(int ShardIndex, ShardFaultKind Kind, long? Stripe, string Detail);
