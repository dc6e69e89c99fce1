using System.Buffers.Binary;
using System.Text;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.RecordLog;

namespace CloudSecReq.Gateway.Tests.Storage.RecordLog;

/// <summary>
/// The per-volume manifest log (issue 6, small objects): group-committed appends, reads, reopen
/// after a crash, overwrite on release, and scans that survive damaged records.
/// </summary>
public sealed class ManifestLogTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "csr-mlog-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static byte[] Payload(int index, int lengthBytes = 300)
    {
        var bytes = new byte[lengthBytes];
        var marker = Encoding.ASCII.GetBytes($"record-{index:D6}|");
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = marker[i % marker.Length];
        }
        return bytes;
    }

    private string SegmentPath(string segment) => Path.Combine(_directory, segment);

    private static async Task<List<(LogExtent Extent, byte[] Payload)>> ScanAllAsync(ManifestLog log, ManifestLogScanStats? stats = null)
    {
        var records = new List<(LogExtent, byte[])>();
        await foreach (var record in log.ScanAsync(stats, default))
        {
            records.Add(record);
        }
        return records;
    }

    private static int CountOccurrences(byte[] haystack, byte[] needle)
    {
        var n = 0;
        for (var i = haystack.AsSpan().IndexOf(needle); i >= 0;)
        {
            n++;
            var next = haystack.AsSpan(i + 1).IndexOf(needle);
            i = next < 0 ? -1 : i + 1 + next;
        }
        return n;
    }

    [Fact]
    public async Task AppendAsync_ThenReadAsync_ReturnsPayload()
    {
        await using var log = ManifestLog.Open(_directory);
        var payload = Payload(1, 4608);

        var extent = await log.AppendAsync(payload, default);
        var empty = await log.AppendAsync(ReadOnlyMemory<byte>.Empty, default);

        Assert.Equal(new LogExtent("00000001.log", 0, 4608), extent);
        Assert.Equal(payload, await log.ReadAsync(extent, default));
        Assert.Equal(new LogExtent("00000001.log", ManifestLogFormat.HeaderBytes + 4608, 0), empty);
        Assert.Equal(Array.Empty<byte>(), await log.ReadAsync(empty, default));
    }

    [Fact]
    public async Task AppendAsync_ManyConcurrentWriters_AllReadableAndScannedInFull()
    {
        const int writers = 8, perWriter = 500;
        await using var log = ManifestLog.Open(_directory);
        var extents = new LogExtent[writers * perWriter];

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                var index = w * perWriter + i;
                extents[index] = await log.AppendAsync(Payload(index, 100 + index % 700), default);
            }
        })));

        for (var i = 0; i < extents.Length; i++)
        {
            Assert.Equal(Payload(i, 100 + i % 700), await log.ReadAsync(extents[i], default));
        }
        var stats = new ManifestLogScanStats();
        var scanned = await ScanAllAsync(log, stats);
        Assert.Equal(extents.Length, scanned.Count);
        Assert.Equal(extents.OrderBy(e => e.Offset), scanned.Select(r => r.Extent));
        Assert.Equal(0, stats.Corrupt + stats.Released + stats.Resyncs + stats.SkippedBytes);
        // Records lie back to back: the log's length is exactly their frames.
        Assert.Equal(extents.Sum(e => (long)ManifestLogFormat.HeaderBytes + e.Length), new FileInfo(SegmentPath("00000001.log")).Length);
    }

    [Fact]
    public async Task Open_ExistingLog_ContinuesNewestSegment()
    {
        LogExtent first;
        await using (var log = ManifestLog.Open(_directory))
        {
            first = await log.AppendAsync(Payload(1), default);
        }

        await using var reopened = ManifestLog.Open(_directory);
        var second = await reopened.AppendAsync(Payload(2), default);

        Assert.Equal(0, reopened.TruncatedBytesOnOpen);
        Assert.Equal(new LogExtent("00000001.log", ManifestLogFormat.HeaderBytes + 300, 300), second);
        Assert.Equal(Payload(1), await reopened.ReadAsync(first, default));
        Assert.Equal(Payload(2), await reopened.ReadAsync(second, default));
        Assert.Equal(2, (await ScanAllAsync(reopened)).Count);
    }

    [Fact]
    public async Task Open_SecondInstanceOnSameDirectory_ThrowsIOException()
    {
        await using var log = ManifestLog.Open(_directory);

        Assert.ThrowsAny<IOException>(() => ManifestLog.Open(_directory));
    }

    [Fact]
    public async Task Open_TornTail_TruncatesItAndAppendsAfterLastRecord()
    {
        var extents = new List<LogExtent>();
        await using (var log = ManifestLog.Open(_directory))
        {
            for (var i = 0; i < 3; i++)
            {
                extents.Add(await log.AppendAsync(Payload(i), default));
            }
        }
        var path = SegmentPath("00000001.log");
        var goodLength = new FileInfo(path).Length;
        // A crash mid-batch: one whole header announcing 300 bytes with only 40 of them, then nothing.
        var torn = new byte[ManifestLogFormat.HeaderBytes + 40];
        ManifestLogFormat.WriteHeader(torn, Payload(9));
        await using (var file = new FileStream(path, FileMode.Append))
        {
            await file.WriteAsync(torn);
        }

        await using var reopened = ManifestLog.Open(_directory);
        var next = await reopened.AppendAsync(Payload(3), default);

        Assert.Equal(torn.Length, reopened.TruncatedBytesOnOpen);
        Assert.Equal(new LogExtent("00000001.log", goodLength, 300), next);
        var scanned = await ScanAllAsync(reopened);
        Assert.Equal([.. extents, next], scanned.Select(r => r.Extent));
        Assert.Equal(Payload(3), await reopened.ReadAsync(next, default));
    }

    [Fact]
    public async Task Open_GarbageTail_TruncatesIt()
    {
        LogExtent extent;
        await using (var log = ManifestLog.Open(_directory))
        {
            extent = await log.AppendAsync(Payload(1), default);
        }
        await using (var file = new FileStream(SegmentPath("00000001.log"), FileMode.Append))
        {
            await file.WriteAsync(new byte[] { 0x43, 0x53, 0x52, 0x4C, 0xFF, 0, 0, 0, 0, 0, 7 }); // a magic and junk
            await file.WriteAsync(new byte[5000]); // zeros a crash may leave after the last synced size
        }

        await using var reopened = ManifestLog.Open(_directory);

        Assert.Equal(5011, reopened.TruncatedBytesOnOpen);
        Assert.Equal(ManifestLogFormat.HeaderBytes + 300, new FileInfo(SegmentPath("00000001.log")).Length);
        Assert.Equal(Payload(1), await reopened.ReadAsync(extent, default));
    }

    [Fact]
    public async Task OverwriteAsync_Record_NoLongerReadsScanSkipsItAndBytesAreGone()
    {
        var marker = Encoding.ASCII.GetBytes("CSR-RELEASED-" + Guid.NewGuid().ToString("N"));
        var released = Enumerable.Repeat(marker, 100).SelectMany(b => b).ToArray();
        await using var log = ManifestLog.Open(_directory);
        var before = await log.AppendAsync(Payload(1), default);
        var extent = await log.AppendAsync(released, default);
        var after = await log.AppendAsync(Payload(2), default);
        var path = SegmentPath(extent.Segment);
        Assert.Equal(100, CountOccurrences(File.ReadAllBytes(path), marker));
        var length = new FileInfo(path).Length;

        await log.OverwriteAsync(extent, default);
        var once = File.ReadAllBytes(path);
        await log.OverwriteAsync(extent, default); // idempotent

        Assert.Null(await log.ReadAsync(extent, default));
        Assert.Equal(Payload(1), await log.ReadAsync(before, default));
        Assert.Equal(Payload(2), await log.ReadAsync(after, default));
        var stats = new ManifestLogScanStats();
        Assert.Equal([before, after], (await ScanAllAsync(log, stats)).Select(r => r.Extent));
        Assert.Equal(1, stats.Released);
        Assert.Equal(0, stats.Corrupt + stats.Resyncs);
        var raw = File.ReadAllBytes(path);
        Assert.Equal(length, raw.Length);
        Assert.Equal(once, raw);
        Assert.Equal(0, CountOccurrences(raw, marker));
        var payloadBytes = raw.AsSpan((int)extent.Offset + ManifestLogFormat.HeaderBytes, extent.Length);
        Assert.NotEqual(new byte[extent.Length], payloadBytes.ToArray()); // random, not zeros
    }

    [Fact]
    public async Task OverwriteAsync_Batch_ReleasesEveryGoodExtentAndReportsEachBadOneAlone()
    {
        await using var log = ManifestLog.Open(_directory, segmentBytes: 4096);
        var extents = new List<LogExtent>();
        for (var i = 0; i < 20; i++)
        {
            extents.Add(await log.AppendAsync(Payload(i, 1000), default)); // four records a segment: the batch spans segments
        }
        var wrongLength = extents[3] with { Length = 10 };
        var badName = new LogExtent("lock", 0, 10);
        var batch = new List<LogExtent> { extents[0], wrongLength, extents[5], badName, extents[9], extents[0] };

        var results = await log.OverwriteAsync(batch, default);

        Assert.Null(results[0]);
        Assert.IsType<InvalidDataException>(results[1]);
        Assert.Null(results[2]);
        Assert.IsAssignableFrom<ArgumentException>(results[3]);
        Assert.Null(results[4]);
        Assert.Null(results[5]); // the same record again: already released, nothing to do
        foreach (var i in new[] { 0, 5, 9 })
        {
            Assert.Null(await log.ReadAsync(extents[i], default));
        }
        Assert.Equal(Payload(3, 1000), await log.ReadAsync(extents[3], default));
        Assert.Equal(17, (await ScanAllAsync(log)).Count);
    }

    [Fact]
    public async Task Open_NewLogWithAFirstSegmentNumber_ExtentsOfAnEarlierLogNameNoSegmentAndTouchNothing()
    {
        // A replaced disk: the old log's extents (still in the metadata) must not land in the new log.
        LogExtent old;
        await using (var before = ManifestLog.Open(_directory))
        {
            old = await before.AppendAsync(Payload(1), default);
        }
        Directory.Delete(_directory, recursive: true);
        await using var log = ManifestLog.Open(_directory, firstSegment: 1_000_000);
        var fresh = await log.AppendAsync(Payload(2), default);
        var raw = File.ReadAllBytes(SegmentPath(fresh.Segment));

        Assert.Equal(new LogExtent("01000000.log", 0, 300), fresh);
        Assert.Equal("00000001.log", old.Segment);
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await log.ReadAsync(old, default));
        Assert.IsType<FileNotFoundException>((await log.OverwriteAsync([old], default)).Single());
        Assert.Equal(raw, File.ReadAllBytes(SegmentPath(fresh.Segment)));
        Assert.Equal(Payload(2), await log.ReadAsync(fresh, default));
    }

    [Fact]
    public async Task OverwriteAsync_ExtentOfAnotherLength_ThrowsAndWritesNothing()
    {
        await using var log = ManifestLog.Open(_directory);
        var extent = await log.AppendAsync(Payload(1), default);
        var path = SegmentPath(extent.Segment);
        var raw = File.ReadAllBytes(path);

        await Assert.ThrowsAsync<InvalidDataException>(() => log.OverwriteAsync(extent with { Length = 10 }, default));

        Assert.Equal(raw, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task ScanAsync_CorruptHeaderAndPayloadInMiddle_ResyncsAndFindsLaterRecords()
    {
        var extents = new List<LogExtent>();
        await using (var log = ManifestLog.Open(_directory))
        {
            for (var i = 0; i < 10; i++)
            {
                extents.Add(await log.AppendAsync(Payload(i), default));
            }
        }
        var path = SegmentPath("00000001.log");
        var raw = File.ReadAllBytes(path);
        raw[extents[4].Offset + 5] ^= 0x40; // record 4's length: its header no longer checks out
        raw[extents[7].Offset + ManifestLogFormat.HeaderBytes + 17] ^= 0x01; // record 7's payload
        File.WriteAllBytes(path, raw);

        await using var reopened = ManifestLog.Open(_directory);
        var stats = new ManifestLogScanStats();
        var scanned = await ScanAllAsync(reopened, stats);

        Assert.Equal(0, reopened.TruncatedBytesOnOpen); // damage in the middle is not a torn tail
        Assert.Equal(extents.Where((_, i) => i is not 4 and not 7), scanned.Select(r => r.Extent));
        Assert.Equal(1, stats.Resyncs);
        Assert.Equal(ManifestLogFormat.HeaderBytes + 300, stats.SkippedBytes);
        Assert.Equal(1, stats.Corrupt);
        Assert.Null(await reopened.ReadAsync(extents[4], default));
        Assert.Null(await reopened.ReadAsync(extents[7], default));
        Assert.Equal(Payload(9), await reopened.ReadAsync(extents[9], default));
    }

    [Fact]
    public async Task AppendAsync_SegmentFull_RollsToNewSegment()
    {
        const long segmentBytes = 10 * 1024;
        var extents = new List<LogExtent>();
        await using (var log = ManifestLog.Open(_directory, segmentBytes))
        {
            for (var i = 0; i < 10; i++)
            {
                extents.Add(await log.AppendAsync(Payload(i, 4096), default));
            }
            extents.Add(await log.AppendAsync(Payload(10, 20_000), default)); // larger than a segment: one of its own
        }

        await using var reopened = ManifestLog.Open(_directory, segmentBytes);
        var next = await reopened.AppendAsync(Payload(11, 4096), default);

        Assert.Equal(["00000001.log", "00000001.log", "00000002.log", "00000002.log", "00000003.log"], extents.Take(5).Select(e => e.Segment));
        Assert.Equal(new LogExtent("00000006.log", 0, 20_000), extents[10]);
        Assert.Equal(new LogExtent("00000007.log", 0, 4096), next);
        foreach (var file in Directory.EnumerateFiles(_directory, "*.log").Where(f => !f.EndsWith("00000006.log", StringComparison.Ordinal)))
        {
            Assert.True(new FileInfo(file).Length <= segmentBytes);
        }
        var scanned = await ScanAllAsync(reopened);
        Assert.Equal([.. extents, next], scanned.Select(r => r.Extent));
        for (var i = 0; i < extents.Count; i++)
        {
            Assert.Equal(Payload(i, extents[i].Length), await reopened.ReadAsync(extents[i], default));
        }
    }

    [Fact]
    public async Task ReadAsync_SegmentDeleted_ThrowsFileNotFound()
    {
        await using var log = ManifestLog.Open(_directory, segmentBytes: 1024);
        var old = await log.AppendAsync(Payload(1, 2000), default);
        await log.AppendAsync(Payload(2, 2000), default);
        Assert.NotNull(await log.ReadAsync(old, default)); // its handle is open now

        File.Delete(SegmentPath(old.Segment));

        await Assert.ThrowsAsync<FileNotFoundException>(async () => await log.ReadAsync(old, default));
        await Assert.ThrowsAsync<FileNotFoundException>(() => log.OverwriteAsync(old, default));
    }

    [Fact]
    public async Task AppendAsync_DirectoryRemoved_FailsWithIOException()
    {
        await using var log = ManifestLog.Open(_directory);
        var extent = await log.AppendAsync(Payload(1), default);

        Directory.Delete(_directory, recursive: true);

        await Assert.ThrowsAnyAsync<IOException>(() => log.AppendAsync(Payload(2), default));
        await Assert.ThrowsAnyAsync<IOException>(async () => await log.ReadAsync(extent, default));
    }

    [Fact]
    public async Task AppendAsync_DiskFull_FailsBatchAndLogStaysUsable()
    {
        await using var disk = await LoopMountedExt4.CreateAsync(16L * 1024 * 1024);
        var directory = Path.Combine(disk.MountPoint, "log");
        await using var log = ManifestLog.Open(directory);
        var first = await log.AppendAsync(Payload(1, 4096), default);
        // Fill the file system with 128 KiB files, then free one: a 1 MiB record cannot fit, 4 KiB can.
        var fillers = 0;
        try
        {
            while (true)
            {
                File.OpenHandle(Path.Combine(disk.MountPoint, $"filler-{fillers}"), FileMode.CreateNew, FileAccess.Write, preallocationSize: 128 * 1024).Dispose();
                fillers++;
            }
        }
        catch (IOException)
        {
            File.Delete(Path.Combine(disk.MountPoint, $"filler-{fillers}"));
            File.Delete(Path.Combine(disk.MountPoint, "filler-0"));
        }

        await Assert.ThrowsAnyAsync<IOException>(() => log.AppendAsync(Payload(2, 1024 * 1024), default));
        var next = await log.AppendAsync(Payload(3, 4096), default);

        Assert.Equal(new LogExtent("00000001.log", ManifestLogFormat.HeaderBytes + 4096, 4096), next);
        Assert.Equal(2 * (ManifestLogFormat.HeaderBytes + 4096), new FileInfo(Path.Combine(directory, "00000001.log")).Length);
        Assert.Equal([first, next], (await ScanAllAsync(log)).Select(r => r.Extent));
    }

    [Fact]
    public async Task OverwriteAsync_OnLoopMountedExt4_LeavesNoReleasedBytesInTheRawImage()
    {
        var released = Encoding.ASCII.GetBytes("CSR-RELEASED-" + Guid.NewGuid().ToString("N"));
        var kept = Encoding.ASCII.GetBytes("CSR-KEPT-" + Guid.NewGuid().ToString("N"));
        static byte[] Body(byte[] marker) => Enumerable.Repeat(marker, 4608 / marker.Length).SelectMany(b => b).ToArray();
        await using var disk = await LoopMountedExt4.CreateAsync(64L * 1024 * 1024);
        await using (var log = ManifestLog.Open(Path.Combine(disk.MountPoint, "log"), segmentBytes: 256 * 1024))
        {
            var extents = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => log.AppendAsync(Body(i % 2 == 0 ? released : kept), default)));
            var releasedExtents = extents.Where((_, i) => i % 2 == 0).ToList();
            // Half one at a time, half in one batch (one fdatasync per segment), as the garbage collector does.
            foreach (var extent in releasedExtents.Take(50))
            {
                await log.OverwriteAsync(extent, default);
            }
            Assert.All(await log.OverwriteAsync(releasedExtents.Skip(50).ToList(), default), Assert.Null);
        }
        await disk.UnmountAsync();

        var image = await File.ReadAllBytesAsync(disk.ImagePath);

        Assert.Equal(0, CountOccurrences(image, released));
        // The control: kept records are in the image (a marker straddling two non-adjacent blocks is not found whole).
        var keptMarkers = 100 * (4608 / kept.Length);
        Assert.InRange(CountOccurrences(image, kept), keptMarkers * 9 / 10, keptMarkers);
    }

    [Theory]
    [InlineData("../00000001.log")]
    [InlineData("1.log")]
    [InlineData("00000000.log")]
    [InlineData("lock")]
    public async Task ReadAsync_NotASegmentName_ThrowsArgumentException(string segment)
    {
        await using var log = ManifestLog.Open(_directory);

        await Assert.ThrowsAsync<ArgumentException>(async () => await log.ReadAsync(new LogExtent(segment, 0, 1), default));
    }

    [Fact]
    public async Task AppendAsync_AfterDispose_ThrowsObjectDisposed()
    {
        var log = ManifestLog.Open(_directory);
        var pending = Enumerable.Range(0, 50).Select(i => log.AppendAsync(Payload(i), default)).ToArray();

        await log.DisposeAsync();

        Assert.All(pending, p => Assert.True(p.IsCompletedSuccessfully)); // queued appends are committed first
        Assert.Throws<ObjectDisposedException>(() => { _ = log.AppendAsync(Payload(99), default); });
    }

    [Fact]
    public void ManifestLogFormat_Header_IsLittleEndianMagicLengthAndChecks()
    {
        var header = new byte[ManifestLogFormat.HeaderBytes];
        var payload = Payload(1, 5);

        ManifestLogFormat.WriteHeader(header, payload);

        Assert.Equal("CSRL"u8.ToArray(), header[..4]);
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)));
        Assert.Equal(CloudSecReq.Erasure.Checksums.Crc32C.Compute(header.AsSpan(0, 8)), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)));
        Assert.Equal(CloudSecReq.Erasure.Checksums.Crc32C.Compute([.. header.AsSpan(4, 4), .. payload]), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12)));
        Assert.Equal(5, ManifestLogFormat.ReadHeader(header));
        Assert.True(ManifestLogFormat.IsIntact(header, payload));
    }
}
