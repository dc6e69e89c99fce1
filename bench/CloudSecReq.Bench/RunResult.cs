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
    long? GatewayPeakRssBytes,
    IReadOnlyList<KmsCallCount> KmsCalls);

/// <summary>
/// KMS calls that the self-hosted gateway's bucket key cache made (<c>BucketKeyCache.KmsCalls</c>,
/// one HSM operation each) during one timed phase (<paramref name="Phase"/>: PUT, GET, or PUT+GET for
/// mixed), over <paramref name="Operations"/> requests. The warmup before the run is not included.
/// </summary>
internal sealed record KmsCallCount(string Phase, long Calls, long Operations);
