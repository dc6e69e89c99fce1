using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Observability;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// The metrics read from live state at each scrape, from counters the components keep anyway: no new
/// plumbing on the request path. Volumes are labelled volume/site/rack (configured names, never
/// tenant data). Registered once per gateway.
/// </summary>
internal static class ScrapeGauges
{
    public static void Register(GatewayMetrics metrics, IMetadataStore store, BlobStore blobs, HealProgress heal, BucketKeyCache bucketKeys)
    {
        var f = metrics.Factory;
        string[] volumeLabels = ["volume", "site", "rack"];
        var capacity = f.CreateGauge("csr_volume_capacity_bytes", "Size of the file system under the volume.", volumeLabels);
        var free = f.CreateGauge("csr_volume_free_bytes", "Free space on the file system under the volume.", volumeLabels);
        var used = f.CreateGauge("csr_volume_used_bytes", "Capacity minus free space of the file system under the volume.", volumeLabels);
        var usable = f.CreateGauge("csr_volume_usable", "1 when the volume is read and written, 0 when it is fenced or missing.", volumeLabels);
        var fenced = f.CreateGauge("csr_volume_fenced", "1 when the volume's identity does not verify (kept out until `csr volume readmit`).", volumeLabels);
        var refusals = f.CreateCounter("csr_placement_refusals_total", "Writes refused because no placement kept the rule (503).");
        var cacheHits = f.CreateCounter("csr_bucket_key_cache_hits_total", "Bucket and data key requests of the S3 path answered from the cache.");
        var hsmCalls = f.CreateCounter("csr_bucket_key_cache_misses_total", "Bucket and data key requests of the S3 path that called the KMS (one HSM operation each).");
        var hsmSeconds = f.CreateCounter("csr_bucket_key_cache_miss_seconds_total", "Time spent in those KMS calls (HSM latency: divide by csr_bucket_key_cache_misses_total).");
        var healQueued = f.CreateGauge("csr_heal_queued_objects", "Objects and parts in the heal queue.");
        var healWaiting = f.CreateGauge("csr_heal_waiting_objects", "Queued objects waiting for volumes or retrying after a failure.");
        var healed = f.CreateCounter("csr_heal_objects_healed_total", "Objects whose shards or copies were rewritten by the healer.");
        var rebuiltShards = f.CreateCounter("csr_heal_shards_rebuilt_total", "Shards rebuilt by the healer.");
        var rebuiltBytes = f.CreateCounter("csr_heal_rebuilt_bytes_total", "Bytes of shards rebuilt by the healer.");
        var scrubbing = f.CreateGauge("csr_scrub_running", "1 while a scrub pass runs.");
        var scrubBytes = f.CreateGauge("csr_scrub_pass_checked_bytes", "Bytes verified by the running scrub pass (the last one when none runs).");
        var scrubFaults = f.CreateGauge("csr_scrub_pass_faulty_shards", "Faulty shards found by the running scrub pass (the last one when none runs).");
        var pendingFiles = f.CreateGauge("csr_overwrite_pending_shard_files", "Released shard files waiting for the background overwrite (the garbage queue).");
        var pendingCopies = f.CreateGauge("csr_overwrite_pending_manifest_copies", "Released manifest copies (and inline objects) waiting to be overwritten in their volume's log.");
        metrics.OnScrape(async ct =>
        {
            try
            {
                var (files, copies) = await store.CountGarbageAsync(ct);
                pendingFiles.Set(files);
                pendingCopies.Set(copies);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store not answering: the last values stay (and /health/ready says unready).
            }
        });

        metrics.OnScrape(() =>
        {
            foreach (var volume in blobs.Volumes)
            {
                var labels = new[] { volume.Id, volume.Config.Site, volume.Config.Rack };
                usable.WithLabels(labels).Set(volume.IsUsable ? 1 : 0);
                fenced.WithLabels(labels).Set(volume.IsFenced ? 1 : 0);
                try
                {
                    var drive = new DriveInfo(volume.Config.Path);
                    capacity.WithLabels(labels).Set(drive.TotalSize);
                    free.WithLabels(labels).Set(drive.AvailableFreeSpace);
                    used.WithLabels(labels).Set(drive.TotalSize - drive.TotalFreeSpace);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    // A missing disk: its last values stay, and csr_volume_usable says it is gone.
                }
            }
            refusals.IncTo(blobs.PlacementRefusals);
            cacheHits.IncTo(bucketKeys.Hits);
            hsmCalls.IncTo(bucketKeys.KmsCalls);
            hsmSeconds.IncTo(bucketKeys.KmsCallTime.TotalSeconds);
            var status = heal.Snapshot();
            healQueued.Set(status.QueuedObjects);
            healWaiting.Set(status.WaitingObjects);
            healed.IncTo(status.ObjectsHealed);
            rebuiltShards.IncTo(status.ShardsRebuilt);
            rebuiltBytes.IncTo(status.BytesRebuilt);
            scrubbing.Set(status.Scrub.Current is null ? 0 : 1);
            var pass = status.Scrub.Current ?? status.Scrub.Last;
            scrubBytes.Set(pass?.BytesChecked ?? 0);
            scrubFaults.Set(pass?.FaultyShards ?? 0);
        });
    }
}
