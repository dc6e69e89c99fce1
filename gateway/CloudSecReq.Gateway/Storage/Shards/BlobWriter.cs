using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Storage.Shards;

/// <summary>
/// A blob being written: bytes go to a temporary file on one volume; <see cref="CommitAsync"/>
/// flushes it to disk and moves it into place. Disposing an uncommitted writer hands the temporary
/// file to the background overwrite (<see cref="BlobStore.ReleaseFile"/>), so a failed or
/// interrupted write leaves nothing behind, not even in the freed blocks; a crash before that is
/// covered by the start-up sweep of <c>tmp/</c>. Not thread-safe.
/// </summary>
internal sealed class BlobWriter : IAsyncDisposable
{
    private readonly string _tempPath;
    private bool _committed;
    private bool _disposed;

    public BlobWriter(Volume volume, BlobStore store, string blobId)
    {
        Volume = volume;
        Store = store;
        BlobId = blobId;
        _tempPath = Path.Combine(volume.TempDirectory, BlobId);
        File = new FileStream(_tempPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    public string BlobId { get; }

    public Volume Volume { get; }

    public BlobStore Store { get; }

    /// <summary>The stream to write the blob's bytes to (seekable).</summary>
    public FileStream File { get; }

    /// <summary>Makes the blob durable and returns where it is. After this, disposing keeps it.</summary>
    public async Task<ShardBlob> CommitAsync(CancellationToken ct)
    {
        await File.FlushAsync(ct);
        File.Flush(flushToDisk: true);
        await File.DisposeAsync();
        var finalPath = Volume.BlobPath(BlobId);
        var dir = Path.GetDirectoryName(finalPath)!;
        Directory.CreateDirectory(dir);
        System.IO.File.Move(_tempPath, finalPath);
        Fsync.Directory(dir);
        _committed = true;
        return new ShardBlob(Volume.Id, BlobId);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await File.DisposeAsync();
        if (!_committed)
        {
            // Not overwritten here: the request that failed should not wait for it (a part may be
            // gigabytes), and the overwrite is paced in the background.
            Store.ReleaseFile(_tempPath);
        }
    }
}
