namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// What one pass of <see cref="Healer.HealNowAsync"/> did with the queued objects: healed, already
/// healthy or gone (taken off the queue), left queued waiting for volumes, or failed (left queued).
/// </summary>
internal readonly record struct HealPassResult(int Healed, int Done, int Waiting, int Failed)
{
    /// <summary>Nothing is left queued.</summary>
    public bool IsComplete => Waiting == 0 && Failed == 0;
}
