using System.Collections.Concurrent;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Storage;

/// <summary>
/// Stores object bytes as blobs on the configured volumes. Chooses the volume with the most free
/// space for each new blob. Released space is overwritten before it is unlinked
/// (<see cref="FileOverwriter"/>): blobs the metadata dropped through <see cref="OverwriteAndDeleteAsync"/>
/// (driven by <see cref="GarbageCollector"/>), files of failed writes and never-referenced blobs
/// through a queue of released files that the collector drains in the background. Thread-safe.
/// </summary>
internal sealed class BlobStore
{
    private readonly Dictionary<string, Volume> _volumes;
    private readonly ConcurrentQueue<string> _releasedFiles = new();

    /// <param name="volumes">The configured volumes; fenced ones are left out, so they are neither read nor written.</param>
    public BlobStore(IEnumerable<Volume> volumes)
    {
        _volumes = volumes.Where(v => !v.IsFenced).ToDictionary(v => v.Id);
        if (_volumes.Count == 0)
        {
            throw new ArgumentException("At least one volume that is not fenced is needed (see `csr volume list`).");
        }
    }

    public IReadOnlyCollection<Volume> Volumes => _volumes.Values;

    /// <summary>Raised (on the releasing thread) when a file was queued for overwriting.</summary>
    public event EventHandler? FileReleased;

    public BlobWriter Create()
    {
        var volume = _volumes.Values.MaxBy(v => v.FreeBytes)!;
        return new BlobWriter(volume, this);
    }

    /// <summary>
    /// Opens a blob for reading from <paramref name="offset"/>. Throws <see cref="FileNotFoundException"/>
    /// when it is gone. The open stream holds a shared lock that keeps the overwrite of a released
    /// blob waiting until the stream is disposed.
    /// </summary>
    public Stream OpenRead(DataSegment segment, long offset)
    {
        var volume = _volumes.GetValueOrDefault(segment.VolumeId)
            ?? throw new FileNotFoundException($"Volume {segment.VolumeId} is not configured.");
        // FileShare.Read takes a shared flock on Unix; FileOverwriter asks for an exclusive one.
        var stream = new FileStream(volume.BlobPath(segment.BlobId), new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
        if (offset > 0)
        {
            stream.Seek(offset, SeekOrigin.Begin);
        }
        return stream;
    }

    /// <summary>
    /// Releases a blob that no metadata references and never did (its metadata commit failed):
    /// moves it into its volume's <c>tmp/</c> and queues it for the background overwrite. Since
    /// <c>tmp/</c> is overwritten at start (<see cref="CleanTemporaryFiles"/>), a crash does not
    /// skip it. A blob already gone is not an error.
    /// </summary>
    public void Delete(DataSegment segment)
    {
        if (!_volumes.TryGetValue(segment.VolumeId, out var volume))
        {
            return;
        }
        var released = Path.Combine(volume.TempDirectory, segment.BlobId);
        try
        {
            File.Move(volume.BlobPath(segment.BlobId), released);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }
        Fsync.Directory(volume.TempDirectory);
        ReleaseFile(released);
    }

    /// <summary>True when blobs of <paramref name="volumeId"/> can be reached: configured and not fenced.</summary>
    public bool HasVolume(string volumeId) => _volumes.ContainsKey(volumeId);

    /// <summary>
    /// Overwrites a blob that the metadata no longer references, then unlinks it (see
    /// <see cref="FileOverwriter.OverwriteAndDeleteAsync"/>). The volume must be configured
    /// (<see cref="HasVolume"/>). Throws <see cref="IOException"/> when the disk fails.
    /// </summary>
    public Task<OverwriteOutcome> OverwriteAndDeleteAsync(DataSegment segment, OverwriteThrottle throttle, CancellationToken ct) =>
        FileOverwriter.OverwriteAndDeleteAsync(_volumes[segment.VolumeId].BlobPath(segment.BlobId), throttle, ct);

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

    /// <summary>Overwrites and deletes everything in the volumes' <c>tmp/</c>: start-up only, before any write.</summary>
    public int CleanTemporaryFiles() => _volumes.Values.Sum(v => v.CleanTemporaryFiles());
}
