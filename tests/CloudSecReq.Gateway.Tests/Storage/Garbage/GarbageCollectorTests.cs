using System.Text;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Garbage;

namespace CloudSecReq.Gateway.Tests.Storage.Garbage;

/// <summary>
/// Overwrite on release (P2 6.2.2.6.1 b, e, f) on an ordinary directory: released blobs and files of
/// failed writes are overwritten in place before they are unlinked, a blob leaves the garbage table
/// only once that is done, and a blob still being read is left for later. A hard link to the file
/// shows what its blocks hold after the unlink.
/// </summary>
public sealed class GarbageCollectorTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "csr-gc-" + Guid.NewGuid().ToString("N")[..12])).FullName;
    private readonly string _marker = "CSR-RELEASED-" + Guid.NewGuid().ToString("N");
    private StorageScratch _s = null!;

    public async Task InitializeAsync() => _s = await StorageScratch.OpenAsync(_root, Path.Combine(_root, "meta"));

    public async Task DisposeAsync()
    {
        await _s.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private byte[] MarkerBytes => Encoding.ASCII.GetBytes(_marker);

    private void AssertOverwritten(string link, int lengthBytes)
    {
        var after = File.ReadAllBytes(link);
        Assert.Equal(lengthBytes, after.Length);
        Assert.Equal(0, StorageScratch.CountOccurrences(after, MarkerBytes));
        Assert.NotEqual(new byte[lengthBytes], after); // random, not zeros
    }

    [Fact]
    public async Task CollectNow_DeletedObject_BlobIsOverwrittenInPlaceThenUnlinkedAndForgotten()
    {
        var body = StorageScratch.Repeat(_marker, 300_000);
        var segment = await _s.WriteBlobAsync(body);
        var link = await _s.HardLinkAsync(_s.Volume.BlobPath(segment.Shards[0].BlobId));
        await _s.PutObjectAsync("k", segment);
        Assert.True(await _s.Store.DeleteObjectAsync(_s.Bucket, "k", default));

        var result = await _s.Garbage.CollectNowAsync(default);

        Assert.Equal(new CollectionResult(1, 0, 0), result);
        Assert.False(File.Exists(_s.Volume.BlobPath(segment.Shards[0].BlobId)));
        Assert.Empty(await _s.Store.ListGarbageAsync(10, default));
        AssertOverwritten(link, body.Length);
    }

    [Fact]
    public async Task CollectNow_ReplacedObjectAndAbortedUpload_OnlyReleasedBlobsAreOverwritten()
    {
        var old = await _s.WriteBlobAsync(StorageScratch.Repeat(_marker, 5000));
        var oldLink = await _s.HardLinkAsync(_s.Volume.BlobPath(old.Shards[0].BlobId));
        var current = await _s.WriteBlobAsync(StorageScratch.Repeat(_marker, 7000));
        var part = await _s.WriteBlobAsync(StorageScratch.Repeat(_marker, 9000));
        var partLink = await _s.HardLinkAsync(_s.Volume.BlobPath(part.Shards[0].BlobId));
        await _s.PutObjectAsync("k", old);
        await _s.PutObjectAsync("k", current);
        var uploadId = await _s.UploadPartAsync("m", part);
        Assert.True(await _s.Store.AbortUploadAsync(_s.Bucket, uploadId, default));

        Assert.Equal(new CollectionResult(2, 0, 0), await _s.Garbage.CollectNowAsync(default));

        AssertOverwritten(oldLink, 5000);
        AssertOverwritten(partLink, 9000);
        Assert.Equal(StorageScratch.Repeat(_marker, 7000), await File.ReadAllBytesAsync(_s.Volume.BlobPath(current.Shards[0].BlobId)));
    }

    [Fact]
    public async Task CollectNow_BlobOpenForReading_StaysQueuedUntilTheReaderCloses()
    {
        var body = StorageScratch.Repeat(_marker, 70_000);
        var segment = await _s.WriteBlobAsync(body);
        await _s.PutObjectAsync("k", segment);
        await using (var reader = _s.Blobs.TryOpenRead(segment.Shards[0])!)
        {
            Assert.True(await _s.Store.DeleteObjectAsync(_s.Bucket, "k", default));

            Assert.Equal(new CollectionResult(0, 1, 0), await _s.Garbage.CollectNowAsync(default));

            // The reader still gets the bytes it was promised, and the blob is still queued.
            using var copy = new MemoryStream();
            await reader.CopyToAsync(copy);
            Assert.Equal(body, copy.ToArray());
            Assert.Single(await _s.Store.ListGarbageAsync(10, default));
        }

        Assert.Equal(new CollectionResult(1, 0, 0), await _s.Garbage.CollectNowAsync(default));
        Assert.Empty(await _s.Store.ListGarbageAsync(10, default));
        Assert.False(File.Exists(_s.Volume.BlobPath(segment.Shards[0].BlobId)));
    }

    [Fact]
    public async Task CollectNow_BlobAlreadyGone_IsForgotten()
    {
        // A crash after the unlink but before the garbage row was forgotten: the next run redoes nothing.
        var segment = await _s.WriteBlobAsync(StorageScratch.Repeat(_marker, 100));
        await _s.PutObjectAsync("k", segment);
        Assert.True(await _s.Store.DeleteObjectAsync(_s.Bucket, "k", default));
        File.Delete(_s.Volume.BlobPath(segment.Shards[0].BlobId));

        Assert.Equal(new CollectionResult(0, 0, 0), await _s.Garbage.CollectNowAsync(default));
        Assert.Empty(await _s.Store.ListGarbageAsync(10, default));
    }

    [Fact]
    public async Task CollectNow_BlobOnVolumeNotInUse_StaysQueued()
    {
        // A fenced volume (or one taken out of csr.json) may come back: its released blobs wait for it.
        await _s.PutObjectAsync("k", StorageScratch.Segment(new ShardBlob("fenced-volume", Guid.NewGuid().ToString("N")), 10));
        Assert.True(await _s.Store.DeleteObjectAsync(_s.Bucket, "k", default));

        var result = await _s.Garbage.CollectNowAsync(default);

        Assert.Equal(new CollectionResult(0, 0, 0, Unreachable: 1), result);
        Assert.True(result.IsComplete);
        Assert.Single(await _s.Store.ListGarbageAsync(10, default));
    }

    [Fact]
    public async Task BlobWriter_DisposedUncommitted_TemporaryFileIsOverwrittenBeforeUnlink()
    {
        string link;
        await using (var writer = _s.NewBlob())
        {
            await writer.File.WriteAsync(StorageScratch.Repeat(_marker, 123_457));
            await writer.File.FlushAsync();
            link = await _s.HardLinkAsync(Assert.Single(Directory.GetFiles(_s.Volume.TempDirectory)));
        }

        await _s.Garbage.CollectNowAsync(default);

        Assert.Empty(Directory.GetFiles(_s.Volume.TempDirectory));
        AssertOverwritten(link, 123_457);
    }

    [Fact]
    public async Task Delete_BlobWhoseCommitFailed_IsMovedToTmpThenOverwritten()
    {
        var segment = await _s.WriteBlobAsync(StorageScratch.Repeat(_marker, 4096));
        var link = await _s.HardLinkAsync(_s.Volume.BlobPath(segment.Shards[0].BlobId));

        _s.Blobs.Delete(segment);

        Assert.False(File.Exists(_s.Volume.BlobPath(segment.Shards[0].BlobId)));
        await _s.Garbage.CollectNowAsync(default);
        Assert.Empty(Directory.GetFiles(_s.Volume.TempDirectory));
        AssertOverwritten(link, 4096);
    }

    [Fact]
    public async Task CleanTemporaryFiles_LeftByACrash_AreOverwrittenBeforeUnlink()
    {
        var leftover = Path.Combine(_s.Volume.TempDirectory, Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(leftover, StorageScratch.Repeat(_marker, 2_000_001));
        var link = await _s.HardLinkAsync(leftover);

        Assert.Equal(1, _s.Blobs.CleanTemporaryFiles());

        Assert.Empty(Directory.GetFiles(_s.Volume.TempDirectory));
        AssertOverwritten(link, 2_000_001);
    }

    [Fact]
    public async Task CollectAsync_AfterRelease_BackgroundLoopOverwritesWithoutTheCaller()
    {
        var segment = await _s.WriteBlobAsync(StorageScratch.Repeat(_marker, 10_000));
        var link = await _s.HardLinkAsync(_s.Volume.BlobPath(segment.Shards[0].BlobId));
        await _s.PutObjectAsync("k", segment);
        Assert.True(await _s.Store.DeleteObjectAsync(_s.Bucket, "k", default));

        await _s.Garbage.CollectAsync(default); // returns at once; the loop does the work

        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(15);
        while ((await _s.Store.ListGarbageAsync(10, default)).Count > 0 && TimeProvider.System.GetUtcNow() < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Empty(await _s.Store.ListGarbageAsync(10, default));
        AssertOverwritten(link, 10_000);
    }
}
