using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// Keeps a current catalog snapshot (<see cref="CatalogSnapshot"/>) on every usable volume: one at
/// start, then one within about a second of every change to tenants, users, access keys or buckets
/// (<see cref="IMetadataStore.GetCatalogVersionAsync"/> moved), whether the gateway or a <c>csr</c>
/// admin command made it, and a last one on dispose. The copies of the previous snapshot this
/// process wrote are overwritten once a newer one is durable. Thread-safe.
/// </summary>
internal sealed partial class CatalogSnapshots : IAsyncDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private readonly IMetadataStore _store;
    private readonly ManifestWriter _writer;
    private readonly ILogger<CatalogSnapshots> _log;
    private readonly SemaphoreSlim _once = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _interval;
    private Task? _loop;
    private long _writtenVersion = -1;
    private IReadOnlyList<ManifestCopy> _previous = [];

    public CatalogSnapshots(IMetadataStore store, ManifestWriter writer, TimeSpan interval, ILogger<CatalogSnapshots> log)
    {
        _store = store;
        _writer = writer;
        _interval = interval;
        _log = log;
    }

    /// <summary>Starts the background loop (once).</summary>
    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>
    /// Writes a snapshot when the catalog changed since the last one this process wrote (or none was
    /// written yet). Returns whether one was written. Throws on metadata failure.
    /// </summary>
    public async Task<bool> WriteIfChangedAsync(CancellationToken ct)
    {
        await _once.WaitAsync(ct);
        try
        {
            var version = await _store.GetCatalogVersionAsync(ct);
            if (version == _writtenVersion)
            {
                return false;
            }
            CatalogSnapshot snapshot;
            while (true)
            {
                snapshot = await CatalogSnapshot.ReadAsync(_store, _writer.NextTicks(), ct);
                var after = await _store.GetCatalogVersionAsync(ct);
                if (after == version)
                {
                    break;
                }
                version = after; // changed while being read: read again
            }
            var copies = await _writer.WriteCatalogAsync(snapshot, ct);
            if (copies.Count == 0)
            {
                NoVolumeTookSnapshot(_log);
                return false;
            }
            await _writer.ReleaseAsync(_previous);
            _previous = copies;
            _writtenVersion = version;
            return true;
        }
        finally
        {
            _once.Release();
        }
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        using var timer = new PeriodicTimer(_interval);
        do
        {
            try
            {
                await WriteIfChangedAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                SnapshotFailed(_log, e);
            }
        }
        while (await WaitAsync(timer, ct));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops the loop and writes a last snapshot if the catalog changed (best effort).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        try
        {
            await WriteIfChangedAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            LastSnapshotFailed(_log, e);
        }
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No usable volume took the catalog snapshot; retrying.")]
    private static partial void NoVolumeTookSnapshot(ILogger log);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the catalog snapshot to the volumes failed; retrying.")]
    private static partial void SnapshotFailed(ILogger log, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the last catalog snapshot failed.")]
    private static partial void LastSnapshotFailed(ILogger log, Exception e);
}
