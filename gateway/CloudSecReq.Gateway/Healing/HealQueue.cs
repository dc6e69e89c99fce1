using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Where reads, writes and the scrubber report objects, and parts of open multipart uploads, whose
/// shards need healing (missing, corrupt, or written degraded). The queue lives in the metadata store, so a restart does not lose
/// it. Thread-safe.
/// </summary>
internal sealed partial class HealQueue(IMetadataStore store, TimeProvider clock, ILogger<HealQueue> log)
{
    /// <summary>Raised (on the reporting thread) after an object was queued: the healer wakes up.</summary>
    public event EventHandler<HealRequest>? Queued;

    /// <summary>
    /// Queues <paramref name="bucket"/>/<paramref name="key"/> for healing. Never throws: a failure to
    /// queue is logged (the scrubber finds the object again on its next pass).
    /// </summary>
    public Task ReportAsync(string bucket, string key, string reason) => ReportAsync(new HealRequest(bucket, key, reason, clock.GetUtcNow()));

    /// <summary>
    /// Queues part <paramref name="partNumber"/> of open upload <paramref name="uploadId"/> (to
    /// <paramref name="bucket"/>/<paramref name="key"/>) for healing. Never throws, as <see cref="ReportAsync(string, string, string)"/>.
    /// </summary>
    public Task ReportPartAsync(string bucket, string key, string uploadId, int partNumber, string reason) =>
        ReportAsync(new HealRequest(bucket, key, reason, clock.GetUtcNow(), uploadId, partNumber));

    private async Task ReportAsync(HealRequest request)
    {
        try
        {
            await store.QueueHealAsync(request, CancellationToken.None);
            QueuedForHealing(log, request.Name, request.Reason);
            Queued?.Invoke(this, request);
        }
        catch (Exception e)
        {
            QueueingFailed(log, e, request.Name, request.Reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queued {Name} for healing: {Reason}")]
    private static partial void QueuedForHealing(ILogger log, string name, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Queueing {Name} for healing failed ({Reason}); the scrubber will find it again.")]
    private static partial void QueueingFailed(ILogger log, Exception e, string name, string reason);
}
