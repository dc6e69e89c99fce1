namespace CloudSecReq.Gateway.Healing;

/// <summary>What <see cref="ShardCheck"/> found in one shard file.</summary>
/// <param name="Problem">What is wrong with the file; null when it is good.</param>
/// <param name="BytesRead">Bytes read to check it.</param>
/// <param name="BadStripes">
/// When only some blocks are bad (a block failing its CRC-32C, a file cut inside a stripe, bytes after
/// the last block): the stripes whose block of this shard cannot be used, possibly none. The file's
/// other blocks may then serve to rebuild the segment stripe by stripe. Null when the whole file is
/// unusable (missing, header invalid or of another shard or object).
/// </param>
internal sealed record ShardCheckResult(string? Problem, long BytesRead, IReadOnlySet<long>? BadStripes);
