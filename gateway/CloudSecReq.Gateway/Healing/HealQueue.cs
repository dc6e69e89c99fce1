using CloudSecReq.Gateway.Metadata;
using Microsoft.Extensions.Logging;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Where reads, writes and the scrubber report objects whose shards need healing (missing,
/// corrupt, or written degraded). The queue lives in the metadata store, so a restart does not lose
/// it. Thread-safe.
/// </summary>
internal sealed class HealQueue(IMetadataStore store, TimeProvider clock, ILogger<HealQueue> log)
{
    /// <summary>Raised (on the reporting thread) after an object was queued: the healer wakes up.</summary>
    public event EventHandler<HealRequest>? Queued;

    /// <summary>
    /// Queues <paramref name="bucket"/>/<paramref name="key"/> for healing. Never throws: a failure to
    /// queue is logged (the scrubber finds the object again on its next pass).
    /// </summary>
    public async Task ReportAsync(string bucket, string key, string reason)
    {
        try
        {
            var request = new HealRequest(bucket, key, reason, clock.GetUtcNow());
            await store.QueueHealAsync(request, CancellationToken.None);
            log.LogWarning("Queued {Bucket}/{Key} for healing: {Reason}", bucket, key, reason);
            Queued?.Invoke(this, request);
        }
        catch (Exception e)
        {
            log.LogError(e, "Queueing {Bucket}/{Key} for healing failed ({Reason}); the scrubber will find it again.", bucket, key, reason);
        }
    }
}
