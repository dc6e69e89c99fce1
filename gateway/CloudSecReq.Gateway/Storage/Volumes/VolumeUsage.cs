using CloudSecReq.Gateway.Storage.RecordLog;

namespace CloudSecReq.Gateway.Storage.Volumes;

/// <summary>
/// What a volume holds and the room it has, measured on its file system: capacity and free space of
/// the file system under it (null when it cannot be asked, e.g. the directory is gone), and the count
/// and summed length of the shard files under <c>blobs/</c>, of the manifest log's segments under
/// <c>log/</c> (manifests and the bytes of small objects stored inline) and of the files under
/// <c>tmp/</c> (writes in progress, and released files waiting to be overwritten). Usage is read from
/// the directory, not from the metadata, so it includes shard files the index no longer references.
/// </summary>
internal sealed record VolumeUsage(long? TotalBytes, long? FreeBytes, long ShardFiles, long ShardBytes, long TempFiles, long TempBytes, long LogSegments, long LogBytes)
{
    /// <summary>
    /// Walks the volume's <c>blobs/</c> and <c>tmp/</c> (directory listings only: no file is opened),
    /// so it costs one stat per file. Safe on fenced and missing volumes; never throws for I/O errors
    /// (what cannot be listed counts as empty).
    /// </summary>
    public static VolumeUsage Measure(Volume volume)
    {
        long? total = null, free = null;
        try
        {
            if (Directory.Exists(volume.Config.Path))
            {
                total = volume.TotalBytes;
                free = volume.FreeBytes;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        var (shardFiles, shardBytes) = Sum(volume.BlobDirectory, SearchOption.AllDirectories);
        var (tempFiles, tempBytes) = Sum(volume.TempDirectory, SearchOption.TopDirectoryOnly);
        var (logSegments, logBytes) = Sum(VolumeLogs.DirectoryOf(volume), SearchOption.TopDirectoryOnly, "*" + ManifestLogFormat.SegmentSuffix);
        return new VolumeUsage(total, free, shardFiles, shardBytes, tempFiles, tempBytes, logSegments, logBytes);
    }

    private static (long Files, long Bytes) Sum(string directory, SearchOption depth, string pattern = "*")
    {
        long files = 0, bytes = 0;
        try
        {
            if (!Directory.Exists(directory))
            {
                return (0, 0);
            }
            var options = new EnumerationOptions { RecurseSubdirectories = depth == SearchOption.AllDirectories, IgnoreInaccessible = true, AttributesToSkip = 0 };
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles(pattern, options))
            {
                files++;
                bytes += file.Length;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file unlinked while listing (the garbage collector) or a disk going away: count what was seen.
        }
        return (files, bytes);
    }
}
