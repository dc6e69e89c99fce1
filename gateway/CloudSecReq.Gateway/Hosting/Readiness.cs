using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Kms;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// What <c>/health/ready</c> checks, each time it is asked (no cached answer): the metadata store
/// answers a query, an HSM operation succeeds (an AES-GCM encryption under the platform key, which
/// fails closed when the token is gone), and the usable volumes give a placement for the default
/// storage class. Any failure is "not ready"; why is not told to the caller (nor logged here: a probe
/// polled every few seconds would repeat it; the failing part logs or shows in <c>csr volume list</c>).
/// </summary>
internal sealed class Readiness(IMetadataStore store, KmsService kms, BlobStore blobs, StorageClassCatalog classes)
{
    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        try
        {
            await store.GetCatalogVersionAsync(ct);
            // PKCS#11 calls block their thread: off the request thread, as the S3 path's KMS calls are short too.
            await Task.Run(() => kms.Secrets.Protect([0], "csr:readiness-probe"), ct);
            var usable = blobs.Volumes.Where(v => v.IsUsable).Select(PlacementVolume.OfOrNoRoom);
            return blobs.Planner.Plan(usable, classes.Default).Succeeded;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }
}
