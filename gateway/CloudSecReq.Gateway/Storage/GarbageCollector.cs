using CloudSecReq.Gateway.Metadata;
using Microsoft.Extensions.Logging;

namespace CloudSecReq.Gateway.Storage;

/// <summary>
/// Deletes blobs that the metadata no longer references. The metadata records them as garbage in
/// the same transaction that drops the reference, so a crash between the commit and the delete
/// only delays the delete to the next run (at start and after every delete or overwrite).
/// </summary>
internal sealed class GarbageCollector(IMetadataStore store, BlobStore blobs, ILogger<GarbageCollector> log)
{
    private readonly SemaphoreSlim _running = new(1, 1);

    public async Task CollectAsync(CancellationToken ct)
    {
        if (!await _running.WaitAsync(0, ct))
        {
            return; // a run is under way and will see the new garbage
        }
        try
        {
            while (true)
            {
                var batch = await store.ListGarbageAsync(256, ct);
                if (batch.Count == 0)
                {
                    return;
                }
                foreach (var segment in batch)
                {
                    blobs.Delete(segment);
                }
                await store.ForgetGarbageAsync(batch, ct);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning(e, "Deleting unreferenced blobs failed; they are kept for the next run.");
        }
        finally
        {
            _running.Release();
        }
    }
}
