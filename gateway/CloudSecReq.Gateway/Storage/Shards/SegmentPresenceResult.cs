namespace CloudSecReq.Gateway.Storage.Shards;

/// <summary>What <see cref="SegmentPresence"/> found for one segment.</summary>
/// <param name="Intact">Shards whose file is on a volume in use, opens, has a valid header of this shard of this segment and the length it implies.</param>
/// <param name="OutOfUse">Shards on volumes out of use (missing or fenced): they may come back.</param>
/// <param name="Problems">What is wrong with each other shard, for messages and logs.</param>
internal sealed record SegmentPresenceResult(int Intact, int OutOfUse, IReadOnlyList<string> Problems);
