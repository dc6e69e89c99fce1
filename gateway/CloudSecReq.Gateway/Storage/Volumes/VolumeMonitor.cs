namespace CloudSecReq.Gateway.Storage.Volumes;

/// <summary>
/// Re-checks every volume every few seconds (<see cref="Volume.Refresh"/>): a disk that disappears
/// is taken out of placement and reads at once, one whose identity changed is fenced, and one an
/// operator re-admitted comes back. Every change of state is logged; a volume going out of use is
/// logged as an ALERT. Raises <see cref="VolumeReturned"/> when a volume comes back into use, so
/// that the healer can restore the shards it lacks. Thread-safe; disposing stops the loop.
/// </summary>
internal sealed partial class VolumeMonitor : IAsyncDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyList<Volume> _volumes;
    private readonly Action<Volume> _refresh;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="refresh">Re-checks one volume (<see cref="Volume.Refresh"/> with the identity key).</param>
    public VolumeMonitor(IReadOnlyList<Volume> volumes, Action<Volume> refresh, TimeSpan interval, ILogger log)
    {
        _volumes = volumes;
        _refresh = refresh;
        _log = log;
        _loop = Task.Run(() => RunAsync(interval));
    }

    /// <summary>Raised (on the monitor's thread) when a volume that was out of use is usable again.</summary>
    public event EventHandler<Volume>? VolumeReturned;

    /// <summary>Checks every volume now, in the caller's thread.</summary>
    public void CheckNow()
    {
        foreach (var volume in _volumes)
        {
            var before = volume.StateText;
            _refresh(volume);
            var after = volume.StateText;
            if (before == after)
            {
                continue;
            }
            if (volume.IsUsable)
            {
                VolumeBack(_log, volume.Id, before);
                VolumeReturned?.Invoke(this, volume);
            }
            else
            {
                VolumeOutOfUse(_log, volume.Id, volume.Config.Site, volume.Config.Rack, volume.Config.Node, after);
            }
        }
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                CheckNow();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeId} is back in use (was {Before}).")]
    private static partial void VolumeBack(ILogger log, string volumeId, string before);

    [LoggerMessage(Level = LogLevel.Error, Message = "ALERT volume {VolumeId} ({Site}/{Rack}/{Node}) is out of use: {State}. Its shards are rebuilt from the others on reads; writes avoid it.")]
    private static partial void VolumeOutOfUse(ILogger log, string volumeId, string site, string rack, string node, string state);
}
