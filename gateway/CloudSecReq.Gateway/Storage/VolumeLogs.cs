using Microsoft.Extensions.Logging;

namespace CloudSecReq.Gateway.Storage;

/// <summary>
/// The manifest log of each volume (<c>&lt;volume&gt;/log/</c>, <see cref="ManifestLog"/>), opened while the
/// volume is usable: a fenced or missing volume has none until it comes back (<see cref="ReopenAsync"/>,
/// wired to <see cref="VolumeMonitor.VolumeReturned"/>). Owns the logs and closes them on dispose.
/// Thread-safe.
/// </summary>
internal sealed class VolumeLogs : IAsyncDisposable
{
    public const string DirectoryName = "log";

    private readonly Dictionary<string, Volume> _volumes;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ManifestLog> _open = [];
    private bool _disposed;

    public VolumeLogs(IEnumerable<Volume> volumes, ILogger log)
    {
        _volumes = volumes.ToDictionary(v => v.Id);
        _log = log;
    }

    /// <summary>Every configured volume, usable or not.</summary>
    public IReadOnlyCollection<Volume> Volumes => _volumes.Values;

    public static string DirectoryOf(Volume volume) => Path.Combine(volume.Config.Path, DirectoryName);

    /// <summary>Opens the log of every usable volume now (at start, so that the logs' locks are held from the first moment).</summary>
    public void OpenUsable()
    {
        foreach (var volume in _volumes.Values)
        {
            Find(volume.Id);
        }
    }

    /// <summary>
    /// The log of a usable volume, opening it on first use; null when the volume is not configured,
    /// not usable, or its log cannot be opened (logged).
    /// </summary>
    public ManifestLog? Find(string volumeId)
    {
        if (!_volumes.TryGetValue(volumeId, out var volume) || !volume.IsUsable)
        {
            return null;
        }
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue(volumeId, out var log))
            {
                return log;
            }
            try
            {
                log = ManifestLog.Open(DirectoryOf(volume));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.LogError(e, "The manifest log of volume {VolumeId} cannot be opened; manifests go to other volumes.", volumeId);
                return null;
            }
            if (log.TruncatedBytesOnOpen > 0)
            {
                _log.LogWarning("Cut {Bytes} bytes of torn tail off the manifest log of volume {VolumeId}.", log.TruncatedBytesOnOpen, volumeId);
            }
            _open[volumeId] = log;
            return log;
        }
    }

    /// <summary>
    /// Closes a volume's log so that the next use opens it afresh: for a volume that came back (its
    /// old handles may name files of a disk that was removed). Never throws.
    /// </summary>
    public async Task ReopenAsync(Volume volume)
    {
        ManifestLog? old;
        lock (_lock)
        {
            if (_disposed || !_open.Remove(volume.Id, out old))
            {
                old = null;
            }
        }
        if (old is not null)
        {
            await CloseAsync(old);
        }
        try
        {
            Find(volume.Id);
        }
        catch (ObjectDisposedException)
        {
            // the gateway is stopping
        }
    }

    private async Task CloseAsync(ManifestLog log)
    {
        try
        {
            await log.DisposeAsync();
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Closing the manifest log in {Directory} failed.", log.Directory);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ManifestLog> logs;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            logs = [.. _open.Values];
            _open.Clear();
        }
        foreach (var log in logs)
        {
            await CloseAsync(log);
        }
    }
}
