using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Storage;

/// <summary>
/// Stores object bytes as blobs on the configured volumes. Chooses the volume with the most free
/// space for each new blob. Thread-safe.
/// </summary>
internal sealed class BlobStore
{
    private readonly Dictionary<string, Volume> _volumes;

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

    public BlobWriter Create()
    {
        var volume = _volumes.Values.MaxBy(v => v.FreeBytes)!;
        return new BlobWriter(volume);
    }

    /// <summary>Opens a blob for reading from <paramref name="offset"/>. Throws <see cref="FileNotFoundException"/> when it is gone.</summary>
    public Stream OpenRead(DataSegment segment, long offset)
    {
        var volume = _volumes.GetValueOrDefault(segment.VolumeId)
            ?? throw new FileNotFoundException($"Volume {segment.VolumeId} is not configured.");
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

    /// <summary>Deletes a blob; a blob already gone is not an error.</summary>
    public void Delete(DataSegment segment)
    {
        if (_volumes.TryGetValue(segment.VolumeId, out var volume))
        {
            File.Delete(volume.BlobPath(segment.BlobId));
        }
    }

    public int CleanTemporaryFiles() => _volumes.Values.Sum(v => v.CleanTemporaryFiles());
}
