using System.Diagnostics.CodeAnalysis;

namespace CloudSecReq.Gateway.Placement;

/// <summary>
/// The planner's answer for healing one segment: a volume for each shard to rewrite (by shard index),
/// or why none keeps the rule, never both. A refusal means the segment waits for volumes.
/// </summary>
internal sealed record HealTargets(IReadOnlyDictionary<int, PlacementVolume>? Volumes, string? WaitReason)
{
    [MemberNotNullWhen(true, nameof(Volumes))]
    [MemberNotNullWhen(false, nameof(WaitReason))]
    public bool Succeeded => Volumes is not null;
}
