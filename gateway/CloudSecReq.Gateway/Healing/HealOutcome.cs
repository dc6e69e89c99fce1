namespace CloudSecReq.Gateway.Healing;

/// <summary>What healing one object came to.</summary>
internal enum HealOutcome
{
    /// <summary>Every shard was reachable, verified and well placed: nothing to do.</summary>
    Healthy,
    /// <summary>Bad or misplaced shards were rebuilt on volumes that keep the placement rule, and the metadata points at them.</summary>
    Healed,
    /// <summary>The object was deleted or overwritten meanwhile: nothing was changed, the shards written for it were released.</summary>
    Superseded,
    /// <summary>
    /// No usable volume keeps the placement rule for a shard, or too few shards are reachable now
    /// (some on volumes out of use): the object stays queued until volumes come back.
    /// </summary>
    WaitingForVolumes,
    /// <summary>More than m shards are bad on usable volumes: the object cannot be rebuilt from what is stored. It stays queued and is reported.</summary>
    Unrecoverable,
}
