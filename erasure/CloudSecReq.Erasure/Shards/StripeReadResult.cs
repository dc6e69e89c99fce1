namespace CloudSecReq.Erasure.Shards;

/// What <see cref="StripeReader"/> delivered and which shards it had to work around.
/// <param name="BytesWritten">Object bytes written to the destination.</param>
/// <param name="Faults">Bad shards or blocks, in the order found; empty when all were healthy.</param>
public sealed record StripeReadResult(long BytesWritten, IReadOnlyList<ShardFault> Faults);
