namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// What the healer and the scrubber are doing, as written to <c>DATA/heal-status.json</c>
/// (<see cref="HealStatusFile"/>) for <c>csr heal status</c>. Counters count since the gateway started;
/// the run counters since the heal queue last became non-empty.
/// </summary>
internal sealed record HealStatus
{
    public const string Idle = "idle";
    public const string Healing = "healing";
    public const string Sweeping = "sweeping";
    public const string WaitingForVolumes = "waiting-for-volumes";
    public const string Stopped = "stopped";

    /// <summary>idle, sweeping, healing, waiting-for-volumes, or stopped (the gateway shut down).</summary>
    public string State { get; init; } = Idle;
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public long HealBytesPerSecondLimit { get; init; }
    /// <summary>Objects in the heal queue when this was written (waiting ones included).</summary>
    public long QueuedObjects { get; init; }
    /// <summary>Queued objects that wait for volumes: no target keeps the placement rule, or too few shards are reachable.</summary>
    public long WaitingObjects { get; init; }
    public string? WaitingReason { get; init; }
    public long ObjectsHealed { get; init; }
    public long ShardsRebuilt { get; init; }
    public long BytesRebuilt { get; init; }
    public DateTimeOffset? RunStartedAt { get; init; }
    /// <summary>Objects taken off the queue in this run (healed, already healthy, or gone).</summary>
    public long RunObjectsDone { get; init; }
    public long RunBytesRebuilt { get; init; }
    public double RunBytesPerSecond { get; init; }
    public double RunObjectsPerSecond { get; init; }
    /// <summary>Time until the queue is empty at the run's rate; null when unknown or waiting.</summary>
    public double? EtaSeconds { get; init; }
    public string? CurrentObject { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    public DateTimeOffset? LastSweepAt { get; init; }
    public long LastSweepObjectsQueued { get; init; }
    public ScrubStatus Scrub { get; init; } = new();
}
