using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Keeps <c>DATA/heal-status.json</c> (<see cref="HealStatusFile"/>, read by <c>csr heal status</c>) in
/// step with the <see cref="HealProgress"/> of the healer and the scrubber.
/// </summary>
internal sealed partial class HealStatusWriter(IMetadataStore store, HealProgress progress, string path, ILogger log)
{
    private static readonly TimeSpan s_statusEvery = TimeSpan.FromSeconds(1);

    private readonly IMetadataStore _store = store;
    private readonly HealProgress _progress = progress;
    private readonly string _path = path;
    private readonly ILogger _log = log;

    /// <summary>
    /// Writes the status every second while it changes (and the queue length while there is work),
    /// until <paramref name="stop"/> is cancelled; then writes it once more as stopped. Never throws.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var written = -1L;
        using var timer = new PeriodicTimer(s_statusEvery);
        try
        {
            do
            {
                // While there is work the rate and ETA change every second; when idle only on updates.
                if (_progress.State != HealStatus.Idle)
                {
                    try
                    {
                        _progress.SetQueued(await _store.CountHealQueueAsync(stop));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        CountingQueueFailed(_log, e);
                    }
                }
                var version = _progress.Version;
                if (version != written)
                {
                    await TryWriteStatusAsync(_progress.Snapshot());
                    written = version;
                }
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException)
        {
        }
        await TryWriteStatusAsync(_progress.Snapshot() with { State = HealStatus.Stopped, CurrentObject = null, EtaSeconds = null });
    }

    private async Task TryWriteStatusAsync(HealStatus status)
    {
        try
        {
            await HealStatusFile.WriteAsync(_path, status, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WritingStatusFailed(_log, e, _path);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Counting the heal queue for the status failed.")]
    private static partial void CountingQueueFailed(ILogger log, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the heal status to {Path} failed.")]
    private static partial void WritingStatusFailed(ILogger log, Exception e, string path);
}
