namespace CloudSecReq.Gateway.Placement;

/// <summary>
/// Where one object's shards go: <see cref="Volumes"/>[i] holds shard i (data shards 0..k-1 first,
/// then parity), all distinct. A plan that is not <see cref="Degraded"/> keeps the rack rule: no rack
/// holds more than m shards, and at least the class's minimum number of racks is used.
/// </summary>
/// <param name="DegradedReason">Why a degraded plan breaks the rule; null when not degraded.</param>
internal sealed record PlacementPlan(StorageClass StorageClass, IReadOnlyList<PlacementVolume> Volumes, string? DegradedReason)
{
    /// <summary>True when the rack rule could not be kept and the operator allows degraded writes: heal this object first.</summary>
    public bool Degraded => DegradedReason is not null;

    /// <summary>Shards per rack, for logs and "where is my data".</summary>
    public IReadOnlyDictionary<(string Site, string Rack), int> ShardsPerRack() =>
        Volumes.GroupBy(v => v.RackId).ToDictionary(g => g.Key, g => g.Count());
}
