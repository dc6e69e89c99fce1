using System.Collections.Concurrent;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.Overwrite;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Storage.Shards;

/// <summary>
/// Stores object bytes as erasure-coded shard files on the configured volumes; small objects are
/// stored inline in their manifest copies in the volumes' <see cref="Logs"/> instead
/// (<see cref="InlineMaxBytes"/> says which objects are; <c>Manifests/InlineCopies</c> reads them). A new segment's
/// volumes come from the <see cref="PlacementPlanner"/> over the volumes usable right now
/// (<see cref="Volume.IsUsable"/>), so the placement rule holds for every write. Released space is
/// overwritten before it is unlinked (<see cref="FileOverwriter"/>): blobs the metadata dropped
/// through <see cref="OverwriteAndDeleteAsync"/> (driven by <c>Garbage/GarbageCollector</c>), files
/// of failed writes and never-referenced blobs through a queue of released files that the collector
/// drains in the background. Thread-safe.
/// </summary>
internal sealed class BlobStore
{
    /// <summary>Bytes per shard block in full stripes: a 4+2 stripe carries 1 MiB of sealed data.</summary>
    public const int DefaultBlockBytes = 256 * 1024;

    /// <summary>Single PUTs up to this many bytes are stored inline in their manifests by default: one AES-GCM package.</summary>
    public const long DefaultInlineMaxBytes = 64 * 1024;

    private readonly Dictionary<string, Volume> _volumes;
    private readonly ConcurrentQueue<string> _releasedFiles = new();

    /// <param name="volumes">Every configured volume; fenced or missing ones are neither read nor written while they are.</param>
    /// <param name="planner">Chooses the volumes of each new segment.</param>
    /// <param name="writeQuorum">Shards beyond k that must be durable for a write to succeed (clamped to m).</param>
    /// <param name="logs">The volumes' manifest logs, where small objects are stored inline; null: every object goes to shard files.</param>
    /// <param name="inlineMaxBytes">Single PUTs (and copies) of at most this many bytes go inline when <paramref name="logs"/> is given; 0 turns inlining off.</param>
    public BlobStore(IEnumerable<Volume> volumes, PlacementPlanner planner, int writeQuorum = 1,
        VolumeLogs? logs = null, long inlineMaxBytes = DefaultInlineMaxBytes)
    {
        _volumes = volumes.ToDictionary(v => v.Id);
        Planner = planner;
        WriteQuorum = Math.Max(0, writeQuorum);
        Logs = logs;
        InlineMaxBytes = logs is null ? 0 : Math.Clamp(inlineMaxBytes, 0, MaxInlineBytes);
    }

    // A manifest record holds at most 16 MiB; the object's bytes must leave room for its JSON.
    private const long MaxInlineBytes = 8 * 1024 * 1024;

    /// <summary>The volumes' manifest logs, or null when this store keeps no inline objects.</summary>
    public VolumeLogs? Logs { get; }

    /// <summary>Largest object (plaintext bytes) a single PUT or copy stores inline; 0 when none are.</summary>
    public long InlineMaxBytes { get; }

    public IReadOnlyCollection<Volume> Volumes => _volumes.Values;

    public PlacementPlanner Planner { get; }

    public int WriteQuorum { get; }

    /// <summary>Raised (on the releasing thread) when a file was queued for overwriting.</summary>
    public event EventHandler? FileReleased;

    private long _placementRefusals;

    /// <summary>How many <see cref="Plan"/> calls were refused since start (each a write answered 503; read by /metrics).</summary>
    public long PlacementRefusals => Interlocked.Read(ref _placementRefusals);

    /// <summary>Plans where a new segment of <paramref name="storageClass"/> goes, over the volumes usable now, for a client's write: a refusal is counted in <see cref="PlacementRefusals"/>.</summary>
    public PlacementResult Plan(StorageClass storageClass, long shardBytes)
    {
        var result = PlanForHeal(storageClass, shardBytes);
        if (!result.Succeeded)
        {
            Interlocked.Increment(ref _placementRefusals);
        }
        return result;
    }

    /// <summary>Like <see cref="Plan"/>, for the healer's rewrites: a refusal means the object waits, not a refused write, and is not counted.</summary>
    public PlacementResult PlanForHeal(StorageClass storageClass, long shardBytes) =>
        Planner.Plan(_volumes.Values.Where(v => v.IsUsable).Select(PlacementVolume.Of), storageClass, shardBytes);

    /// <summary>Starts writing a segment onto the volumes of <paramref name="plan"/>, shard i on volume i.</summary>
    public SegmentWriter CreateSegment(PlacementPlan plan, int blockBytes = DefaultBlockBytes) =>
        new(this, plan.StorageClass, plan.Volumes.Select(v => _volumes[v.Id]).ToList(), blockBytes);

    internal BlobWriter CreateBlob(Volume volume, string blobId) => new(volume, this, blobId);

    /// <summary>
    /// Opens a shard file for reading, or returns null when it cannot be had (its volume is fenced,
    /// missing or not configured, or the file is gone). The open stream holds a shared lock that
    /// keeps the overwrite of a released blob waiting until the stream is disposed.
    /// </summary>
    public Stream? TryOpenRead(ShardBlob shard)
    {
        if (!_volumes.TryGetValue(shard.VolumeId, out var volume) || volume.IsFenced)
        {
            return null;
        }
        try
        {
            // FileShare.Read takes a shared flock on Unix; FileOverwriter asks for an exclusive one.
            return new FileStream(volume.BlobPath(shard.BlobId), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone (file or directory not found) or unreadable: the reader rebuilds it from the others.
            return null;
        }
    }

    /// <summary>
    /// Releases a shard that no metadata references and never did (its metadata commit failed):
    /// moves it into its volume's <c>tmp/</c> and queues it for the background overwrite. Since
    /// <c>tmp/</c> is overwritten at start (<see cref="CleanTemporaryFiles"/>), a crash does not
    /// skip it. A blob already gone, or on a volume not in use, is not an error.
    /// </summary>
    public void Delete(ShardBlob shard)
    {
        if (!_volumes.TryGetValue(shard.VolumeId, out var volume) || volume.IsFenced)
        {
            return;
        }
        var released = Path.Combine(volume.TempDirectory, shard.BlobId);
        try
        {
            File.Move(volume.BlobPath(shard.BlobId), released);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }
        Fsync.Directory(volume.TempDirectory);
        ReleaseFile(released);
    }

    /// <summary>Releases every shard of a segment that was never referenced (see <see cref="Delete(ShardBlob)"/>).</summary>
    public void Delete(DataSegment segment)
    {
        foreach (var shard in segment.Shards)
        {
            Delete(shard);
        }
    }

    /// <summary>True when blobs of <paramref name="volumeId"/> can be reached: configured and usable.</summary>
    public bool HasVolume(string volumeId) => _volumes.TryGetValue(volumeId, out var v) && v.IsUsable;

    /// <summary>The volume of that id, or null when it is not configured.</summary>
    public Volume? FindVolume(string volumeId) => _volumes.GetValueOrDefault(volumeId);

    /// <summary>
    /// Overwrites a blob that the metadata no longer references, then unlinks it (see
    /// <see cref="FileOverwriter.OverwriteAndDeleteAsync"/>). The volume must be usable
    /// (<see cref="HasVolume"/>). Throws <see cref="IOException"/> when the disk fails.
    /// </summary>
    public Task<OverwriteOutcome> OverwriteAndDeleteAsync(ShardBlob shard, OverwriteThrottle throttle, CancellationToken ct) =>
        FileOverwriter.OverwriteAndDeleteAsync(_volumes[shard.VolumeId].BlobPath(shard.BlobId), throttle, ct);

    /// <summary>Queues a file under a volume's <c>tmp/</c> for the background overwrite.</summary>
    internal void ReleaseFile(string path)
    {
        _releasedFiles.Enqueue(path);
        FileReleased?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Puts back a released file whose overwrite failed, without waking anyone: the next pass retries it.</summary>
    internal void RequeueReleasedFile(string path) => _releasedFiles.Enqueue(path);

    /// <summary>Takes the next queued released file, if any.</summary>
    public bool TryTakeReleasedFile(out string path) => _releasedFiles.TryDequeue(out path!);

    /// <summary>Overwrites and deletes everything in the usable volumes' <c>tmp/</c>: start-up only, before any write.</summary>
    public int CleanTemporaryFiles() => _volumes.Values.Where(v => v.IsUsable).Sum(v => v.CleanTemporaryFiles());
}
