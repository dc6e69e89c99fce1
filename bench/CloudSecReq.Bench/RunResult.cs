namespace CloudSecReq.Bench;

/// <summary>One (size, concurrency) run: its timed operations and the memory seen meanwhile.</summary>
internal sealed record RunResult(
    long SizeBytes,
    int Concurrency,
    IReadOnlyList<OpStats> Ops,
    long MaxWorkingSetBytes,
    long PeakWorkingSetBytes,
    long MaxGcHeapBytes,
    long GcHeapAfterFullGcBytes,
    long AllocatedBytes,
    long PayloadHeldBytes,
    long? GatewayMaxRssBytes,
    long? GatewayPeakRssBytes);
