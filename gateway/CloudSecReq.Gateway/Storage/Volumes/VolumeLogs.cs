using CloudSecReq.Gateway.Storage.RecordLog;

namespace CloudSecReq.Gateway.Storage.Volumes;

/// <summary>
/// The manifest log of each volume (<c>&lt;volume&gt;/log/</c>, <see cref="ManifestLog"/>), opened while the
/// volume is usable: a fenced or missing volume has none, and one that came back gets its log opened
/// afresh on first use (<see cref="Volume.Returns"/>: its old handles may name files of a disk that
/// was replaced). Owns the logs and closes them on dispose. Thread-safe.
/// </summary>
internal sealed partial class VolumeLogs : IAsyncDisposable
{
    public const string DirectoryName = "log";

    private readonly Dictionary<string, Volume> _volumes;
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (ManifestLog Log, int Returns)> _open = [];
    private bool _disposed;

    /// <param name="clock">Numbers new logs' first segments; the system clock when null.</param>
    public VolumeLogs(IEnumerable<Volume> volumes, ILogger log, TimeProvider? clock = null)
    {
        _volumes = volumes.ToDictionary(v => v.Id);
        _log = log;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Every configured volume, usable or not.</summary>
    public IReadOnlyCollection<Volume> Volumes => _volumes.Values;

    public static string DirectoryOf(Volume volume) => Path.Combine(volume.Config.Path, DirectoryName);

    /// <summary>
    /// Opens (creating if needed) a volume's log. A new log's segments are numbered from the time in
    /// milliseconds, not from 1: a disk replaced by an empty one gets a new log, and extents the metadata
    /// still holds for the old disk (copies to heal, garbage to overwrite) then name segments that do
    /// not exist rather than records of the new log.
    /// </summary>
    public static ManifestLog OpenLog(Volume volume, TimeProvider clock) =>
        ManifestLog.Open(DirectoryOf(volume), ManifestLog.DefaultSegmentBytes, firstSegment: clock.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>Opens the log of every usable volume now (at start, so that the logs' locks are held from the first moment).</summary>
    public void OpenUsable()
    {
        foreach (var volume in _volumes.Values)
        {
            Find(volume.Id);
        }
    }

    /// <summary>
    /// The log of a usable volume, opening it on first use and again after the volume came back
    /// (<see cref="Volume.Returns"/>); null when the volume is not configured, not usable, or its log
    /// cannot be opened (logged).
    /// </summary>
    public ManifestLog? Find(string volumeId)
    {
        if (!_volumes.TryGetValue(volumeId, out var volume) || !volume.IsUsable)
        {
            return null;
        }
        var returns = volume.Returns;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue(volumeId, out var open))
            {
                if (open.Returns == returns)
                {
                    return open.Log;
                }
                // Opened before the volume left and came back, perhaps as a new disk: its handles may
                // name files that are gone, and its lock may be the one the new log needs. Rare, so
                // closed here, waiting under the lock.
                _open.Remove(volumeId);
                CloseAsync(open.Log).GetAwaiter().GetResult();
            }
            ManifestLog log;
            try
            {
                log = OpenLog(volume, _clock);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                CannotOpen(_log, e, volumeId);
                return null;
            }
            if (log.TruncatedBytesOnOpen > 0)
            {
                TornTailCut(_log, log.TruncatedBytesOnOpen, volumeId);
            }
            _open[volumeId] = (log, returns);
            return log;
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
            ClosingFailed(_log, e, log.Directory);
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
            logs = [.. _open.Values.Select(o => o.Log)];
            _open.Clear();
        }
        foreach (var log in logs)
        {
            await CloseAsync(log);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The manifest log of volume {VolumeId} cannot be opened; manifests go to other volumes.")]
    private static partial void CannotOpen(ILogger log, Exception e, string volumeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cut {Bytes} bytes of torn tail off the manifest log of volume {VolumeId}.")]
    private static partial void TornTailCut(ILogger log, long bytes, string volumeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the manifest log in {Directory} failed.")]
    private static partial void ClosingFailed(ILogger log, Exception e, string directory);
}
