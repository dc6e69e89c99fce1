namespace CloudSecReq.Gateway.Placement;

/// <summary>Why no plan keeps the rule.</summary>
internal enum PlacementRefusal
{
    /// <summary>Fewer eligible volumes (healthy, in an allowed site, with room for a shard) than k + m.</summary>
    NotEnoughVolumes,

    /// <summary>Enough volumes, but too few racks: either fewer than the class's minimum, or too few to keep at most m shards per rack.</summary>
    NotEnoughRacks,
}
