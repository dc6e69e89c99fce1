using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.RecordLog;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// Restores the metadata index from the volumes alone (<c>csr metadata rebuild</c>, docs/operations.md):
/// scans every usable volume's manifest log, restores the newest catalog snapshot (tenants, users,
/// access keys, buckets), then for each (bucket, key) the newest object manifest, by
/// <c>LastModified</c>, then the time the manifest was written, then its id (ordinal), so that every
/// copy and every run choose the same one. An object is restored only when its bucket is in the
/// catalog and every segment has at least k shard files present (an inline object's bytes travel in
/// its manifest copies, so a copy found is the object); the others are reported. The
/// restored objects record where their manifest copies are, and older manifests of restored objects
/// (with the shards they alone reference) are queued for overwriting. Multipart uploads in progress
/// and the heal queue are not restored.
/// <para>
/// Needs the logs to itself: opening a log takes its lock, so this fails while a gateway runs. The
/// caller also holds the serve lock and gives an empty store.
/// </para>
/// </summary>
internal sealed class MetadataRebuild(IMetadataStore store, IReadOnlyList<Volume> volumes, ManifestCodec codec, TimeProvider clock)
{
    private sealed record Found(ManifestRecord Record, List<ManifestCopy> Copies);

    /// <exception cref="IOException">A log cannot be opened because another process holds it (a running gateway).</exception>
    public async Task<RebuildSummary> RunAsync(CancellationToken ct)
    {
        var summary = new RebuildSummary();
        var objects = new Dictionary<(string Bucket, string Key), Dictionary<string, Found>>();
        ManifestRecord? catalog = null;
        foreach (var volume in volumes)
        {
            if (!volume.IsUsable)
            {
                summary.VolumesNotScanned.Add($"{volume.Id} ({volume.StateText})");
                continue;
            }
            await using var log = VolumeLogs.OpenLog(volume, clock);
            var stats = new ManifestLogScanStats();
            await foreach (var (extent, payload) in log.ScanAsync(stats, ct))
            {
                summary.RecordsRead++;
                if (codec.TryDecode(payload) is not { } record
                    || (record.Object is { } described && described.IsInline() && ManifestCodec.InlineBytes(payload)?.Length != described.Segments[0].Length))
                {
                    summary.RecordsSkipped++;
                    continue;
                }
                if (record.Kind == ManifestRecord.CatalogKind)
                {
                    if (catalog is null || record.Catalog!.Generation > catalog.Catalog!.Generation)
                    {
                        catalog = record;
                    }
                    continue;
                }
                var o = record.Object!;
                if (!objects.TryGetValue((o.Bucket, o.Key), out var versions))
                {
                    objects[(o.Bucket, o.Key)] = versions = [];
                }
                if (!versions.TryGetValue(record.Id, out var found))
                {
                    versions[record.Id] = found = new Found(record, []);
                }
                found.Copies.Add(new ManifestCopy(volume.Id, extent));
            }
            summary.VolumesScanned++;
            summary.RecordsReleased += stats.Released;
            summary.RecordsCorrupt += stats.Corrupt + stats.Resyncs;
        }

        var buckets = new HashSet<string>(StringComparer.Ordinal);
        if (catalog?.Catalog is { } snapshot)
        {
            await RestoreCatalogAsync(snapshot, summary, ct);
            buckets.UnionWith(snapshot.Buckets.Select(b => b.Name));
        }
        foreach (var ((bucket, key), versions) in objects.OrderBy(o => o.Key.Bucket, StringComparer.Ordinal).ThenBy(o => o.Key.Key, StringComparer.Ordinal))
        {
            var ordered = versions.Values
                .OrderByDescending(f => f.Record.Object!.LastModified)
                .ThenByDescending(f => f.Record.WrittenTicks)
                .ThenByDescending(f => f.Record.Id, StringComparer.Ordinal)
                .ToList();
            var newest = ordered[0];
            if (!buckets.Contains(bucket))
            {
                summary.ObjectsSkipped.Add((bucket, key, "its bucket is not in the catalog"));
                continue;
            }
            if (MissingShards(newest.Record.Object!) is { } why)
            {
                summary.ObjectsSkipped.Add((bucket, key, why));
                continue;
            }
            var record = newest.Record.Object! with { Manifests = newest.Copies };
            await store.PutObjectAsync(record, ct);
            summary.ObjectsRestored++;
            var superseded = ordered.Skip(1).ToList();
            if (superseded.Count > 0)
            {
                // Replaced versions whose release had not run: their manifests and the shards only they use.
                var segments = superseded.SelectMany(f => f.Record.Object!.Segments).Where(s => !record.Segments.Any(r => r.SameBlobs(s))).ToList();
                await store.QueueGarbageAsync(segments, superseded.SelectMany(f => f.Copies).ToList(), ct);
                summary.SupersededQueued += superseded.Count;
            }
        }
        return summary;
    }

    private async Task RestoreCatalogAsync(CatalogSnapshot snapshot, RebuildSummary summary, CancellationToken ct)
    {
        summary.CatalogGeneration = snapshot.Generation;
        foreach (var tenant in snapshot.Tenants)
        {
            var root = snapshot.Users.FirstOrDefault(u => u.TenantId == tenant.Id && u.IsRoot)
                ?? new User(tenant.Id, Tenants.TenantService.RootUserName, true, new UserPolicy(false, null), tenant.CreatedAt);
            await store.CreateTenantAsync(tenant, root, ct);
            summary.Tenants++;
            summary.Users++;
        }
        var tenants = snapshot.Tenants.Select(t => t.Id).ToHashSet();
        foreach (var user in snapshot.Users.Where(u => !u.IsRoot && tenants.Contains(u.TenantId)))
        {
            if (await store.CreateUserAsync(user, ct))
            {
                summary.Users++;
            }
        }
        foreach (var accessKey in snapshot.AccessKeys.Where(k => tenants.Contains(k.TenantId)))
        {
            await store.CreateAccessKeyAsync(accessKey, ct);
            summary.AccessKeys++;
        }
        foreach (var bucket in snapshot.Buckets.Where(b => tenants.Contains(b.TenantId)))
        {
            if (await store.CreateBucketAsync(bucket, ct) == BucketCreateResult.Created)
            {
                summary.Buckets++;
            }
        }
    }

    /// <summary>Why the object cannot be read back (a segment with fewer than k shard files present), or null; an inline object's bytes are in the copies found.</summary>
    private string? MissingShards(ObjectRecord record)
    {
        if (record.IsInline())
        {
            return null;
        }
        for (var i = 0; i < record.Segments.Count; i++)
        {
            var segment = record.Segments[i];
            var present = segment.Shards.Count(s => volumes.FirstOrDefault(v => v.Id == s.VolumeId) is { IsUsable: true } v && File.Exists(v.BlobPath(s.BlobId)));
            if (present < segment.DataShards)
            {
                return $"segment {i} has {present} of {segment.Shards.Count} shard files, fewer than the {segment.DataShards} needed";
            }
        }
        return null;
    }
}
