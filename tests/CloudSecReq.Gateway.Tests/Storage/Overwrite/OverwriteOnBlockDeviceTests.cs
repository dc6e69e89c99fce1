using System.Text;

namespace CloudSecReq.Gateway.Tests.Storage.Overwrite;

/// <summary>
/// Overwrite on release on a real block device (P2 6.2.2.6.1 b, e, f; issue 6): a volume on a
/// loop-mounted ext4 image holds blobs written in the clear with a marker; once released they must
/// not be found anywhere in the raw image. A control file deleted without the overwrite, on the same
/// image, must still be found, so the scan is shown to see leftovers.
/// </summary>
public sealed class OverwriteOnBlockDeviceTests
{
    [Fact]
    public async Task ReleasedBlobs_OnLoopMountedExt4_LeaveNoBytesInTheRawImage()
    {
        var released = "CSR-RELEASED-" + Guid.NewGuid().ToString("N");
        var control = "CSR-CONTROL-" + Guid.NewGuid().ToString("N");
        var live = "CSR-LIVE-" + Guid.NewGuid().ToString("N");
        var metadata = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "csr-loop-meta-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        await using var disk = await LoopMountedExt4.CreateAsync(64L * 1024 * 1024);
        try
        {
            await using (var s = await StorageScratch.OpenAsync(disk.MountPoint, metadata, overwriteBytesPerSecond: 64L * 1024 * 1024))
            {
                // Every way space is released: a deleted object, a replaced one, an aborted upload's part,
                // a write that failed, a blob whose metadata commit failed, a temporary file left by a crash.
                // Sizes: several blocks, under one block, and not a multiple of the 1 MiB overwrite chunk.
                // The start-up sweep first, as at start: before anything else uses tmp/.
                await File.WriteAllBytesAsync(Path.Combine(s.Volume.TempDirectory, "crashed-write"), StorageScratch.Repeat(released, 300_000));
                Assert.Equal(1, s.Blobs.CleanTemporaryFiles());

                var deleted = await s.WriteBlobAsync(StorageScratch.Repeat(released, 3 * 1024 * 1024 + 17));
                await s.PutObjectAsync("deleted", deleted);
                Assert.True(await s.Store.DeleteObjectAsync(s.Bucket, "deleted", default));

                await s.PutObjectAsync("replaced", await s.WriteBlobAsync(StorageScratch.Repeat(released, 100)));
                await s.PutObjectAsync("replaced", await s.WriteBlobAsync(StorageScratch.Repeat(live, 200_000)));

                var uploadId = await s.UploadPartAsync("multipart", await s.WriteBlobAsync(StorageScratch.Repeat(released, 1024 * 1024)));
                Assert.True(await s.Store.AbortUploadAsync(s.Bucket, uploadId, default));

                await using (var failed = s.NewBlob())
                {
                    await failed.File.WriteAsync(StorageScratch.Repeat(released, 2 * 1024 * 1024 + 5));
                }

                s.Blobs.Delete(await s.WriteBlobAsync(StorageScratch.Repeat(released, 40_000)));


                var result = await s.Garbage.CollectNowAsync(default);
                Assert.True(result.IsComplete, result.ToString());
                Assert.Empty(await s.Store.ListGarbageAsync(10, default));
                Assert.Empty(Directory.GetFiles(s.Volume.TempDirectory));

                // The control: the same kind of bytes, deleted the ordinary way.
                var controlPath = Path.Combine(disk.MountPoint, "control.bin");
                await using (var file = new FileStream(controlPath, FileMode.CreateNew, FileAccess.Write))
                {
                    await file.WriteAsync(StorageScratch.Repeat(control, 1024 * 1024));
                    file.Flush(flushToDisk: true);
                }
                File.Delete(controlPath);
            }
            await disk.UnmountAsync();

            var image = await File.ReadAllBytesAsync(disk.ImagePath);
            Assert.Equal(0, StorageScratch.CountOccurrences(image, Encoding.ASCII.GetBytes(released)));
            Assert.True(StorageScratch.CountOccurrences(image, Encoding.ASCII.GetBytes(control)) > 0, "the control file's bytes should still be in the image: the scan cannot see leftovers");
            Assert.True(StorageScratch.CountOccurrences(image, Encoding.ASCII.GetBytes(live)) > 0, "the live object's blob should be in the image");
        }
        finally
        {
            Directory.Delete(metadata, recursive: true);
        }
    }
}
