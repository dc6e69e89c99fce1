using System.Threading.Channels;
using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage;
using Microsoft.Extensions.Logging;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Rebuilds missing, corrupt and misplaced shards (P2 recovery from partial hardware damage).
/// <para>
/// Work comes from the heal queue in the metadata (<see cref="HealQueue"/>: reads, writes and the
/// <see cref="Scrubber"/> report there, so a restart loses nothing) and from a sweep over every
/// object and every part of an open upload that queues each one with a shard on a volume out of use
/// or a shard file gone: at start,
/// every <c>HealSweepMinutes</c>, and whenever a volume comes back (<see cref="VolumeMonitor.VolumeReturned"/>).
/// </para>
/// <para>
/// Healing a segment (of an object, or of a part of an open multipart upload): every shard is checked
/// (volume in use, file present, <see cref="ShardVerifier"/> healthy, header of this segment). Healing
/// goes stripe by stripe: it needs at most m bad blocks in every stripe (a file missing or with a wrong
/// header is bad in all), however many shard files hold one. Shards that fail, and shards beyond m in
/// one rack (a degraded write), are rewritten in one pass with <see cref="StripeReader.RebuildShardsAsync"/>,
/// which uses the good blocks of every readable file, damaged ones included, into new blobs
/// on volumes that keep the placement rule: distinct volumes, no rack holding more than m of the
/// segment's shards, the class's sites and minimum racks. A shard's own volume is preferred when it is
/// usable, else the volume in the least-loaded rack with the most free space. When no volume keeps the
/// rule (a whole rack gone, and the others already hold m shards each) the object stays queued,
/// <see cref="HealOutcome.WaitingForVolumes"/>: the rule is never broken to heal. The new shards replace
/// the old in the metadata with a compare-and-swap (<see cref="IMetadataStore.SwapSegmentAsync"/>), so
/// an object overwritten or deleted meanwhile is not clobbered (the new blobs are released instead),
/// and the replaced blobs become garbage in the same transaction, overwritten by the
/// <see cref="GarbageCollector"/> once their volume is reachable.
/// </para>
/// <para>
/// Healing an inline object (its bytes in its m + 1 manifest copies): every copy is read back (CRCs,
/// MAC); when fewer than m + 1 are good, or a rack holds more than m of them, a good copy's bytes are
/// written as a fresh set of m + 1 copies on volumes the placement planner chooses, swapped in with a
/// compare-and-swap (<see cref="IMetadataStore.ReplaceObjectIfUnchangedAsync"/>); the old copies become
/// garbage and are overwritten.
/// </para>
/// <para>
/// All shard I/O goes through one <see cref="OverwriteThrottle"/> at <c>HealBytesPerSecond</c>, so
/// foreground traffic keeps priority. Progress is kept in <see cref="Progress"/> and written to
/// <c>DATA/heal-status.json</c> every second while there is work (<c>csr heal status</c>).
/// </para>
/// Thread-safe. Disposing stops the loops; what was not finished stays queued.
/// </summary>
internal sealed class Healer : IAsyncDisposable
{
    public const long DefaultHealBytesPerSecond = 100L * 1024 * 1024;
    public const int DefaultSweepMinutes = 60;
    private const int BatchSize = 64;
    private static readonly TimeSpan s_retryWaiting = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_retryAfterFailure = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_statusEvery = TimeSpan.FromSeconds(1);

    private readonly IMetadataStore _store;
    private readonly Manifests.ManifestWriter _manifests;
    private readonly BlobStore _blobs;
    private readonly HealQueue _queue;
    private readonly VolumeMonitor _monitor;
    private readonly GarbageCollector _garbage;
    private readonly StorageClassCatalog _classes;
    private readonly OverwriteThrottle _throttle;
    private readonly TimeSpan _sweepInterval;
    private readonly string? _statusPath;
    private readonly TimeProvider _clock;
    private readonly ILogger<Healer> _log;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startLock = new();
    private Task? _loop;
    private Task? _statusLoop;
    private int _sweepRequested;
    private bool _disposed;

    /// <param name="healBytesPerSecond">Pace of all shard reads and writes of the healer; 0 or less for unlimited.</param>
    /// <param name="sweepInterval">How often the sweep over every object runs besides start and returning volumes.</param>
    /// <param name="statusPath">Where to write the status (<see cref="HealStatusFile"/>); null to keep it in memory only.</param>
    public Healer(IMetadataStore store, BlobStore blobs, HealQueue queue, VolumeMonitor monitor, GarbageCollector garbage, StorageClassCatalog classes,
        HealProgress progress, long healBytesPerSecond, TimeSpan sweepInterval, string? statusPath, TimeProvider clock, ILogger<Healer> log,
        Manifests.ManifestWriter manifests)
    {
        _store = store;
        _manifests = manifests;
        _blobs = blobs;
        _queue = queue;
        _monitor = monitor;
        _garbage = garbage;
        _classes = classes;
        Progress = progress;
        _throttle = new OverwriteThrottle(healBytesPerSecond);
        _sweepInterval = sweepInterval;
        _statusPath = statusPath;
        _clock = clock;
        _log = log;
        _queue.Queued += OnQueued;
        _monitor.VolumeReturned += OnVolumeReturned;
    }

    /// <summary>Live progress of the healer (and of the scrubber, which shares it).</summary>
    public HealProgress Progress { get; }

    /// <summary>Starts the background loop (a sweep, then the queue) and the status writer; later calls do nothing.</summary>
    public void Start()
    {
        lock (_startLock)
        {
            if (_disposed || _loop is not null)
            {
                return;
            }
            _loop = Task.Run(RunAsync);
            _statusLoop = Task.Run(WriteStatusLoopAsync);
        }
    }

    /// <summary>
    /// One pass over the heal queue in the caller's task (waiting for a pass of the background loop
    /// under way): heals every queued object and upload part it can, takes healed, healthy and vanished
    /// ones off the queue, and leaves the others queued. Throws on metadata failure or cancellation.
    /// </summary>
    public async Task<HealPassResult> HealNowAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            int healed = 0, done = 0, waiting = 0, failed = 0;
            string? waitingReason = null;
            var skipped = new HashSet<(string Bucket, string Key, string? UploadId, int PartNumber)>();
            Progress.SetQueued(await _store.CountHealQueueAsync(ct));
            try
            {
                while (true)
                {
                    // The queue has no cursor: ask for enough rows to see past the ones left queued.
                    var batch = (await _store.ListHealQueueAsync(BatchSize + skipped.Count, ct))
                        .Where(r => !skipped.Contains((r.Bucket, r.Key, r.UploadId, r.PartNumber)))
                        .ToList();
                    if (batch.Count == 0)
                    {
                        break;
                    }
                    Progress.SetState(HealStatus.Healing);
                    foreach (var request in batch)
                    {
                        ct.ThrowIfCancellationRequested();
                        Progress.SetCurrent(request.Name);
                        HealOutcome outcome;
                        string? detail;
                        try
                        {
                            if (request.IsPart)
                            {
                                (outcome, detail) = await HealPartRequestAsync(request, ct);
                            }
                            else
                            {
                                var record = await _store.GetObjectAsync(request.Bucket, request.Key, ct);
                                (outcome, detail) = record is null ? (HealOutcome.Superseded, null) : await HealCoreAsync(record, ct);
                            }
                        }
                        catch (OperationCanceledException) when (ct.IsCancellationRequested)
                        {
                            throw;
                        }
                        catch (Exception e)
                        {
                            _log.LogError(e, "Healing {Name} failed; it stays queued.", request.Name);
                            Progress.Error($"{request.Name}: {e.GetBaseException().Message}");
                            failed++;
                            skipped.Add((request.Bucket, request.Key, request.UploadId, request.PartNumber));
                            continue;
                        }
                        switch (outcome)
                        {
                            case HealOutcome.Healed or HealOutcome.Healthy or HealOutcome.Superseded:
                                await _store.ForgetHealAsync(request, ct);
                                Progress.ObjectDone(outcome == HealOutcome.Healed);
                                if (outcome == HealOutcome.Healed)
                                {
                                    healed++;
                                }
                                else
                                {
                                    done++;
                                }
                                break;
                            case HealOutcome.WaitingForVolumes:
                                waiting++;
                                waitingReason = detail;
                                skipped.Add((request.Bucket, request.Key, request.UploadId, request.PartNumber));
                                Progress.SetWaiting(waiting, waitingReason);
                                break;
                            default:
                                _log.LogError("ALERT {Name} cannot be rebuilt from what is stored: {Detail}. It stays queued in case a volume comes back.", request.Name, detail);
                                Progress.Error($"{request.Name}: {detail}");
                                failed++;
                                skipped.Add((request.Bucket, request.Key, request.UploadId, request.PartNumber));
                                break;
                        }
                    }
                }
            }
            finally
            {
                Progress.SetCurrent(null);
                Progress.SetWaiting(waiting, waitingReason);
            }
            Progress.SetQueued(await _store.CountHealQueueAsync(ct));
            Progress.SetState(waiting > 0 ? HealStatus.WaitingForVolumes : HealStatus.Idle);
            if (waiting > 0)
            {
                _log.LogWarning("{Count} objects wait for volumes to heal: {Reason}", waiting, waitingReason);
            }
            return new HealPassResult(healed, done, waiting, failed);
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>
    /// Queues every object, and every part of an open upload, that has a shard (or an inline copy) on a
    /// volume out of use or a shard file (or log segment) that is gone (a cheap check: no file is read).
    /// Returns how many it queued.
    /// Throws on metadata failure or cancellation.
    /// </summary>
    public async Task<int> SweepNowAsync(CancellationToken ct)
    {
        var before = Progress.State;
        if (before == HealStatus.Idle)
        {
            Progress.SetState(HealStatus.Sweeping);
        }
        var queued = 0;
        try
        {
            await foreach (var record in ObjectWalk.AllAsync(_store, null, ct))
            {
                if (UnreachableShard(record) is { } reason)
                {
                    await _store.QueueHealAsync(new HealRequest(record.Bucket, record.Key, reason, _clock.GetUtcNow()), ct);
                    queued++;
                }
            }
            // Parts of open uploads are stored data too: a part left unhealed is lost to the object it completes into.
            await foreach (var (upload, part) in UploadWalk.AllPartsAsync(_store, ct))
            {
                if (!part.Segment.Inline && UnreachableShard(part.Segment) is { } reason)
                {
                    await _store.QueueHealAsync(new HealRequest(upload.Bucket, upload.Key, reason, _clock.GetUtcNow(), upload.UploadId, part.PartNumber), ct);
                    queued++;
                }
            }
        }
        finally
        {
            if (Progress.State == HealStatus.Sweeping)
            {
                Progress.SetState(before);
            }
        }
        Progress.Swept(queued);
        if (queued > 0)
        {
            _log.LogWarning("The heal sweep queued {Count} objects with shards on volumes out of use or missing.", queued);
        }
        return queued;
    }

    private string? UnreachableShard(ObjectRecord record)
    {
        if (record.IsInline())
        {
            var wanted = record.Segments[0].ParityShards + 1;
            foreach (var copy in record.Manifests)
            {
                if (!_blobs.HasVolume(copy.VolumeId))
                {
                    return $"a copy is on volume {copy.VolumeId}, which is not in use";
                }
                // A replaced disk's new log never has the old segment names (VolumeLogs.OpenLog).
                if (!File.Exists(Path.Combine(VolumeLogs.DirectoryOf(_blobs.FindVolume(copy.VolumeId)!), copy.Extent.Segment)))
                {
                    return $"the log segment of a copy is missing from volume {copy.VolumeId}";
                }
            }
            return record.Manifests.Count < wanted ? $"{record.Manifests.Count} of {wanted} copies" : null;
        }
        return record.Segments.Select(UnreachableShard).FirstOrDefault(reason => reason is not null);
    }

    private string? UnreachableShard(DataSegment segment)
    {
        for (var i = 0; i < segment.Shards.Count; i++)
        {
            var shard = segment.Shards[i];
            if (!_blobs.HasVolume(shard.VolumeId))
            {
                return $"shard {i} is on volume {shard.VolumeId}, which is not in use";
            }
            if (!File.Exists(_blobs.FindVolume(shard.VolumeId)!.BlobPath(shard.BlobId)))
            {
                return $"shard {i} is missing from volume {shard.VolumeId}";
            }
        }
        return null;
    }

    /// <summary>
    /// Heals one object as read from the metadata (<paramref name="record"/> may be stale: the
    /// compare-and-swap then refuses it and the outcome is <see cref="HealOutcome.Superseded"/>). Does
    /// not touch the heal queue. Throws on I/O or metadata failure; shards written before are released.
    /// </summary>
    public async Task<HealOutcome> HealObjectAsync(ObjectRecord record, CancellationToken ct) => (await HealCoreAsync(record, ct)).Outcome;

    private async Task<(HealOutcome Outcome, string? Detail)> HealCoreAsync(ObjectRecord record, CancellationToken ct)
    {
        if (record.IsInline())
        {
            return await HealInlineAsync(record, ct);
        }
        var outcome = HealOutcome.Healthy;
        string? detail = null;
        var healed = false;
        var name = $"{record.Bucket}/{record.Key}";
        foreach (var segment in record.Segments)
        {
            var (o, d) = await HealSegmentAsync(name, record.StorageClass, segment,
                replacement => _store.SwapSegmentAsync(record.Bucket, record.Key, segment, replacement, CancellationToken.None),
                reason => _queue.ReportAsync(record.Bucket, record.Key, reason), ct);
            if (o == HealOutcome.Superseded)
            {
                return (o, d);
            }
            healed |= o == HealOutcome.Healed;
            // The worst of the segments decides whether the object stays queued.
            if (o > outcome)
            {
                (outcome, detail) = (o, d);
            }
        }
        if (healed)
        {
            await RefreshManifestsAsync(record.Bucket, record.Key, ct);
        }
        return (outcome, detail);
    }

    // A part of an open upload is healed like an object's segment; it has no manifests on the volumes.
    private async Task<(HealOutcome Outcome, string? Detail)> HealPartRequestAsync(HealRequest request, CancellationToken ct)
    {
        var upload = await _store.GetUploadAsync(request.Bucket, request.UploadId!, ct);
        var part = upload is null || upload.Key != request.Key
            ? null
            : (await _store.ListPartsAsync(request.UploadId!, request.PartNumber - 1, 1, ct)).Items.FirstOrDefault(p => p.PartNumber == request.PartNumber);
        if (upload is null || part is null || part.Segment.Inline)
        {
            return (HealOutcome.Superseded, null);
        }
        return await HealSegmentAsync(request.Name, upload.StorageClass, part.Segment,
            replacement => _store.SwapPartSegmentAsync(part.UploadId, part.PartNumber, part.Segment, replacement, CancellationToken.None),
            reason => _queue.ReportPartAsync(upload.Bucket, upload.Key, upload.UploadId, part.PartNumber, reason), ct);
    }

    /// <summary>
    /// Heals one segment named <paramref name="name"/> in logs. <paramref name="swap"/> is the
    /// compare-and-swap that puts the replacement in the metadata (not cancellable: once it may have
    /// committed, the new blobs must stay); <paramref name="reportMore"/> queues the owner again for
    /// faults found in shards that were not replaced.
    /// </summary>
    private async Task<(HealOutcome Outcome, string? Detail)> HealSegmentAsync(string name, string storageClassName, DataSegment segment,
        Func<DataSegment, Task<bool>> swap, Func<string, Task> reportMore, CancellationToken ct)
    {
        int n = segment.Shards.Count, k = segment.DataShards, m = segment.ParityShards;
        var storageClass = _classes.All.FirstOrDefault(c => c.Name == storageClassName && c.DataShards == k && c.ParityShards == m);
        var bad = new SortedDictionary<int, string>();
        for (var i = 0; i < n; i++)
        {
            if (!_blobs.HasVolume(segment.Shards[i].VolumeId))
            {
                bad[i] = $"volume {segment.Shards[i].VolumeId} is not in use";
            }
        }
        // Before reading anything: a segment that cannot be healed now costs no I/O on every retry.
        if (bad.Count > m)
        {
            return (HealOutcome.WaitingForVolumes, $"only {n - bad.Count} of {n} shards are on volumes in use ({k} needed to rebuild, {n - m} to heal)");
        }
        if (bad.Count > 0 && ChooseTargets(segment, [.. bad.Keys], storageClass) is (null, var why))
        {
            return (HealOutcome.WaitingForVolumes, why);
        }
        // Shards whose file cannot be read at all, and the bad blocks of the others: a segment is healed
        // stripe by stripe, so what counts is the bad blocks of each stripe, not the bad shard files.
        var unusable = new HashSet<int>(bad.Keys);
        var badBlocks = new Dictionary<long, int>();
        for (var i = 0; i < n; i++)
        {
            if (bad.ContainsKey(i))
            {
                continue;
            }
            var check = await ShardCheck.CheckAsync(_blobs, segment, i, _throttle, ct);
            if (check.Problem is null)
            {
                continue;
            }
            bad[i] = check.Problem;
            if (check.BadStripes is null)
            {
                unusable.Add(i);
                continue;
            }
            foreach (var stripe in check.BadStripes)
            {
                badBlocks[stripe] = badBlocks.GetValueOrDefault(stripe) + 1;
            }
        }
        var misplaced = Misplaced(segment, bad.Keys, m);
        if (bad.Count == 0 && misplaced.Count == 0)
        {
            return (HealOutcome.Healthy, null);
        }
        var worst = badBlocks.Count == 0 ? default : badBlocks.MaxBy(b => b.Value);
        if (unusable.Count + worst.Value > m)
        {
            var text = $"{bad.Count} of {n} shards are bad ({string.Join("; ", bad.Select(b => $"shard {b.Key}: {b.Value}"))}); " +
                $"stripe {worst.Key} has {unusable.Count + worst.Value} bad blocks, at most {m} can be rebuilt";
            return bad.Keys.Any(i => !_blobs.HasVolume(segment.Shards[i].VolumeId))
                ? (HealOutcome.WaitingForVolumes, text)
                : (HealOutcome.Unrecoverable, text);
        }
        List<int> replace = [.. bad.Keys, .. misplaced];
        var (targets, reason) = ChooseTargets(segment, replace, storageClass);
        if (targets is null)
        {
            return (HealOutcome.WaitingForVolumes, reason);
        }

        // All shards to replace are written in one pass over the stripes: every readable file is a
        // source (a damaged one for its good blocks, each checked against its CRC-32C before use).
        var written = new List<ShardBlob>();
        var shards = segment.Shards.ToList();
        var moreFaults = new List<ShardFault>();
        var sources = new Stream?[n];
        var blobs = new List<BlobWriter>();
        try
        {
            var paced = new Stream?[n];
            for (var j = 0; j < n; j++)
            {
                if (!unusable.Contains(j))
                {
                    sources[j] = _blobs.TryOpenRead(segment.Shards[j]);
                    paced[j] = sources[j] is { } s ? new PacedStream(s, _throttle) : null;
                }
            }
            foreach (var i in replace)
            {
                blobs.Add(_blobs.CreateBlob(targets[i], NewBlobId(segment.Shards[i].BlobId, i)));
            }
            var reader = new StripeReader(Codecs.For(k, m));
            var result = await reader.RebuildShardsAsync(paced, replace, blobs.Select(b => (Stream)new PacedStream(b.File, _throttle)).ToList(), ct);
            for (var t = 0; t < replace.Count; t++)
            {
                var committed = await blobs[t].CommitAsync(ct);
                written.Add(committed);
                shards[replace[t]] = committed;
                Progress.ShardRebuilt(result.BytesWritten);
            }
            // Faults of the shards just replaced were expected; others need another heal.
            moreFaults.AddRange(result.Faults.Where(f => !replace.Contains(f.ShardIndex)));
        }
        catch
        {
            foreach (var blob in written)
            {
                _blobs.Delete(blob);
            }
            throw;
        }
        finally
        {
            foreach (var blob in blobs)
            {
                await blob.DisposeAsync();
            }
            foreach (var source in sources)
            {
                if (source is not null)
                {
                    await source.DisposeAsync();
                }
            }
        }

        var replacement = segment with { Shards = shards };
        // Not cancellable: once the swap may have committed, the new blobs must not be released.
        if (!await swap(replacement))
        {
            foreach (var blob in written)
            {
                _blobs.Delete(blob);
            }
            _log.LogInformation("{Name} changed while it was healed; the rebuilt shards were released.", name);
            return (HealOutcome.Superseded, null);
        }
        _log.LogWarning("Healed {Name}: {Shards}.", name,
            string.Join("; ", replace.Select(i => $"shard {i} ({(bad.TryGetValue(i, out var r) ? r : "misplaced")}) rebuilt on volume {targets[i].Id}")));
        await _garbage.CollectAsync(ct);
        if (moreFaults.Count > 0)
        {
            await reportMore("healing found more faults: " + string.Join("; ", moreFaults.Take(4).Select(f => $"shard {f.ShardIndex}: {f.Kind}")));
        }
        return (HealOutcome.Healed, null);
    }

    private async Task<(HealOutcome Outcome, string? Detail)> HealInlineAsync(ObjectRecord record, CancellationToken ct)
    {
        var segment = record.Segments[0];
        int m = segment.ParityShards, wanted = m + 1;
        var good = new List<Volume>();
        var problems = new List<string>();
        var unreachable = false;
        ReadOnlyMemory<byte>? bytes = null;
        for (var i = 0; i < record.Manifests.Count; i++)
        {
            var copy = record.Manifests[i];
            var (read, problem, damaged) = await _blobs.ReadInlineAsync(copy, record, confirmOwner: true, ct);
            await _throttle.WaitAsync(copy.Extent.Length, ct);
            if (read is { } b)
            {
                good.Add(_blobs.FindVolume(copy.VolumeId)!);
                bytes ??= b;
            }
            else
            {
                unreachable |= !damaged;
                problems.Add($"copy {i}: {problem}");
            }
        }
        var crowded = good.GroupBy(RackOf).Any(g => g.Count() > m);
        if (good.Count >= wanted && !crowded)
        {
            return (HealOutcome.Healthy, null);
        }
        var why = problems.Count > 0 ? string.Join("; ", problems) : crowded ? $"more than {m} copies in one rack" : $"{good.Count} of {wanted} copies";
        if (bytes is not { } sealedBytes)
        {
            return unreachable
                ? (HealOutcome.WaitingForVolumes, $"no copy is readable ({why})")
                : (HealOutcome.Unrecoverable, $"no copy is intact ({why})");
        }
        var storageClass = _classes.All.FirstOrDefault(c => c.Name == record.StorageClass && c.ParityShards == m) ?? _classes.Default;
        var placement = _blobs.Plan(storageClass, segment.Length);
        if (!placement.Succeeded)
        {
            return (HealOutcome.WaitingForVolumes, placement.Failure.Message);
        }
        IReadOnlyList<ManifestCopy> fresh;
        try
        {
            fresh = await _manifests.WriteObjectAsync(record with { Manifests = [] }, sealedBytes, placement.Plan.Volumes.Select(v => v.Id).ToList(), wanted, ct);
        }
        catch (IOException e)
        {
            return (HealOutcome.WaitingForVolumes, e.Message);
        }
        // Not cancellable: once the swap may have committed, the new copies must not be released.
        if (!await _store.ReplaceObjectIfUnchangedAsync(record, record with { Manifests = fresh }, CancellationToken.None))
        {
            await _manifests.ReleaseAsync(fresh);
            _log.LogInformation("{Bucket}/{Key} changed while it was healed; the new copies were released.", record.Bucket, record.Key);
            return (HealOutcome.Superseded, null);
        }
        Progress.ShardRebuilt(sealedBytes.Length * (long)fresh.Count);
        _log.LogWarning("Healed {Bucket}/{Key}: {Why}; {Copies} fresh copies on volumes {Volumes}.", record.Bucket, record.Key, why, fresh.Count,
            string.Join(", ", fresh.Select(c => c.VolumeId)));
        await _garbage.CollectAsync(ct);
        return (HealOutcome.Healed, null);
    }

    /// <summary>Good shards beyond m in one rack (a degraded write): the highest indices of each over-full rack.</summary>
    private List<int> Misplaced(DataSegment segment, IEnumerable<int> bad, int m)
    {
        var badSet = bad.ToHashSet();
        return Enumerable.Range(0, segment.Shards.Count)
            .Where(i => !badSet.Contains(i))
            .GroupBy(i => RackOf(_blobs.FindVolume(segment.Shards[i].VolumeId)!))
            .Where(g => g.Count() > m)
            .SelectMany(g => g.OrderByDescending(i => i).Take(g.Count() - m))
            .Order()
            .ToList();
    }

    private static (string Site, string Rack) RackOf(Volume volume) => (volume.Config.Site, volume.Config.Rack);

    /// <summary>
    /// A usable volume for each shard in <paramref name="replace"/> such that the segment keeps the
    /// placement rule, or null and why not. Own volumes first (a corrupt file on a healthy disk is
    /// rebuilt in place), then the least-loaded rack, the most free space, the name.
    /// </summary>
    private (Dictionary<int, Volume>? Targets, string Reason) ChooseTargets(DataSegment segment, IReadOnlyList<int> replace, StorageClass? storageClass)
    {
        int m = segment.ParityShards;
        var needBytes = segment.ShardFileBytes;
        var replaceSet = replace.ToHashSet();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var perRack = new Dictionary<(string Site, string Rack), int>();
        for (var j = 0; j < segment.Shards.Count; j++)
        {
            if (!replaceSet.Contains(j) && _blobs.FindVolume(segment.Shards[j].VolumeId) is { } v)
            {
                used.Add(v.Id);
                perRack[RackOf(v)] = perRack.GetValueOrDefault(RackOf(v)) + 1;
            }
        }
        var free = _blobs.Volumes.Where(v => v.IsUsable).ToDictionary(v => v.Id, v =>
        {
            try
            {
                return v.FreeBytes;
            }
            catch (IOException)
            {
                return -1L;
            }
        });
        bool Fits(Volume v) => v.IsUsable && !used.Contains(v.Id) && free.GetValueOrDefault(v.Id, -1) >= needBytes
            && perRack.GetValueOrDefault(RackOf(v)) < m && (storageClass?.AllowsSite(v.Config.Site) ?? true);
        void Take(int i, Volume v, Dictionary<int, Volume> into)
        {
            into[i] = v;
            used.Add(v.Id);
            perRack[RackOf(v)] = perRack.GetValueOrDefault(RackOf(v)) + 1;
        }

        var targets = new Dictionary<int, Volume>();
        foreach (var i in replace)
        {
            // Misplaced shards are moved because their rack is over-full, so their own volume never fits.
            if (_blobs.FindVolume(segment.Shards[i].VolumeId) is { } own && Fits(own))
            {
                Take(i, own, targets);
            }
        }
        foreach (var i in replace.Where(i => !targets.ContainsKey(i)))
        {
            var pick = _blobs.Volumes.Where(Fits)
                .OrderBy(v => perRack.GetValueOrDefault(RackOf(v)))
                .ThenByDescending(v => free[v.Id])
                .ThenBy(v => v.Id, StringComparer.Ordinal)
                .FirstOrDefault();
            if (pick is null)
            {
                var usable = _blobs.Volumes.Where(v => v.IsUsable).ToList();
                return (null, $"no volume in use can take shard {i} without breaking the placement rule (at most {m} shards of an object per rack{(storageClass is null ? "" : ", " + storageClass.Describe())}); " +
                    $"{usable.Count} volumes in use in {usable.Select(RackOf).Distinct().Count()} racks");
            }
            Take(i, pick, targets);
        }
        if (storageClass is not null && perRack.Count(r => r.Value > 0) < storageClass.MinimumRacks)
        {
            return (null, $"{storageClass.Describe()} needs {storageClass.MinimumRacks} racks; the volumes in use allow only {perRack.Count(r => r.Value > 0)}");
        }
        return (targets, "");
    }

    /// <summary><c>{segment}.{i}.h{random}</c>: beside the original (same directory prefix), never equal to it.</summary>
    private static string NewBlobId(string oldBlobId, int shardIndex) =>
        $"{oldBlobId.Split('.')[0]}.{shardIndex}.h{Guid.NewGuid().ToString("N")[..8]}";

    private void OnQueued(object? sender, HealRequest request)
    {
        // While objects wait for volumes, every read of them queues them again: retrying on each would
        // re-read their shards for nothing. They are retried on a timer and when a volume returns.
        if (Progress.State != HealStatus.WaitingForVolumes)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    private void OnVolumeReturned(object? sender, Volume volume)
    {
        Interlocked.Exchange(ref _sweepRequested, 1);
        _wake.Writer.TryWrite(true);
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        var nextSweep = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            TimeSpan next;
            try
            {
                if (Interlocked.Exchange(ref _sweepRequested, 0) == 1 || _clock.GetUtcNow() >= nextSweep)
                {
                    nextSweep = _clock.GetUtcNow() + _sweepInterval;
                    await SweepNowAsync(ct);
                }
                var result = await HealNowAsync(ct);
                next = result.Waiting > 0 ? s_retryWaiting : result.Failed > 0 ? s_retryAfterFailure : nextSweep - _clock.GetUtcNow();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogError(e, "Healing failed; retrying in {Seconds} s.", s_retryAfterFailure.TotalSeconds);
                Progress.Error(e.GetBaseException().Message);
                Progress.SetState(HealStatus.Idle);
                next = s_retryAfterFailure;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(next < TimeSpan.Zero ? TimeSpan.Zero : next);
            try
            {
                await _wake.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // timer or stop; the loop condition tells which
            }
        }
    }

    private async Task WriteStatusLoopAsync()
    {
        if (_statusPath is null)
        {
            return;
        }
        var written = -1L;
        using var timer = new PeriodicTimer(s_statusEvery);
        try
        {
            do
            {
                // While there is work the rate and ETA change every second; when idle only on updates.
                if (Progress.State != HealStatus.Idle)
                {
                    try
                    {
                        Progress.SetQueued(await _store.CountHealQueueAsync(_stop.Token));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _log.LogDebug(e, "Counting the heal queue for the status failed.");
                    }
                }
                var version = Progress.Version;
                if (version != written)
                {
                    await TryWriteStatusAsync(Progress.Snapshot());
                    written = version;
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
        }
        await TryWriteStatusAsync(Progress.Snapshot() with { State = HealStatus.Stopped, CurrentObject = null, EtaSeconds = null });
    }

    private async Task TryWriteStatusAsync(HealStatus status)
    {
        try
        {
            await HealStatusFile.WriteAsync(_statusPath!, status, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning(e, "Writing the heal status to {Path} failed.", _statusPath);
        }
    }

    // The object's manifests on the volumes still name the replaced shards: write fresh ones, so that a
    // metadata rebuild finds the healed layout. On failure the old manifests stay (they still name at
    // least k good shards, and the next sweep heals again after a rebuild).
    private async Task RefreshManifestsAsync(string bucket, string key, CancellationToken ct)
    {
        if (await _store.GetObjectAsync(bucket, key, ct) is not { } current)
        {
            return;
        }
        try
        {
            var fresh = current with { Manifests = await _manifests.WriteObjectAsync(current, ct) };
            if (!await _store.ReplaceObjectIfUnchangedAsync(current, fresh, CancellationToken.None))
            {
                await _manifests.ReleaseAsync(fresh.Manifests);
            }
        }
        catch (IOException e)
        {
            _log.LogWarning(e, "Writing fresh manifests of healed {Bucket}/{Key} failed; the old ones stay.", bucket, key);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop, statusLoop;
        lock (_startLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            loop = _loop;
            statusLoop = _statusLoop;
        }
        _queue.Queued -= OnQueued;
        _monitor.VolumeReturned -= OnVolumeReturned;
        await _stop.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }
        if (statusLoop is not null)
        {
            await statusLoop;
        }
        _stop.Dispose();
        _pass.Dispose();
    }
}
