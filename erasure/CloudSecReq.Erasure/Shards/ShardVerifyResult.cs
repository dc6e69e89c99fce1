namespace CloudSecReq.Erasure.Shards;

/// What <see cref="ShardVerifier"/> found in one shard file.
/// <param name="Header">The shard's header when it is valid (also when it names another shard
/// index than expected); null when it is missing or invalid.</param>
/// <param name="BytesRead">Bytes read from the stream, header included: the file's length when
/// the verifier read it to its end (it stops early only at a missing or invalid header).</param>
/// <param name="Faults">Everything wrong, in file order; empty when the shard is healthy.</param>
public sealed record ShardVerifyResult(ShardHeader? Header, long BytesRead, IReadOnlyList<ShardFault> Faults)
{
    /// True when the header is valid, names the expected shard, and every block is present and
    /// matches its checksum, with nothing after the last block.
    public bool IsHealthy => Header is not null && Faults.Count == 0;
}
