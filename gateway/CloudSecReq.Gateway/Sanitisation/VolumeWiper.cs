using System.Buffers.Binary;
using System.Security.Cryptography;
using CloudSecReq.Gateway.Storage;
using Microsoft.Win32.SafeHandles;

namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// Overwrites what a volume ever held (P2 6.2.2.6.1 b, e, f; NIST SP 800-88 Rev. 1 "Clear"), then
/// verifies the last pass by reading it back from the medium (cached pages are dropped first):
/// <list type="bullet">
/// <item><see cref="WipeDevice"/>: the raw block device end to end (the volume is the whole file system on it, unmounted).</item>
/// <item><see cref="WipeFilesAndFreeSpace"/>: every file under the volume's directory in place, then the
/// free space of its file system (files written until ENOSPC), verified, then all deleted.</item>
/// </list>
/// Progress goes to <see cref="WipeProgress"/>. Offline: the caller holds the serve lock and has taken
/// the volume out of csr.json. Throws <see cref="IOException"/> on I/O failures (the volume stays
/// retired and may be wiped again).
/// </summary>
internal sealed class VolumeWiper(WipeOptions options, TimeProvider clock, TextWriter progressOutput)
{
    private const int ChunkBytes = 4 * 1024 * 1024;
    private const long FillFileBytes = 1L << 30;
    private const int ENoSpc = 28;
    internal const string FillFilePrefix = ".csr-wipe-fill-";

    /// <summary>Where the pattern's bytes for a file (or the device) start in the pass's keystream.</summary>
    private sealed record Extent(string Path, long LogicalBase, long Length);

    /// <summary>Overwrites <paramref name="device"/> end to end, <see cref="WipeOptions.Passes"/> times, and verifies the last pass.</summary>
    public WipeResult WipeDevice(BlockDevice device, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        using var handle = device.OpenExclusive();
        var size = device.SizeBytes;
        var extent = new Extent(device.DevicePath, 0, size);
        var progress = new WipeProgress(progressOutput, clock, size * options.Passes + VerifyBytes([extent]));
        var buffer = new byte[ChunkBytes];
        WipePattern? pattern = null;
        try
        {
            for (var pass = 1; pass <= options.Passes; pass++)
            {
                pattern?.Dispose();
                pattern = new WipePattern(options.Method);
                var phase = $"pass {pass}/{options.Passes} over {device.DevicePath}";
                for (long offset = 0; offset < size; offset += ChunkBytes)
                {
                    ct.ThrowIfCancellationRequested();
                    var n = (int)Math.Min(ChunkBytes, size - offset);
                    pattern.Fill(buffer.AsSpan(0, n), offset);
                    RandomAccess.Write(handle, buffer.AsSpan(0, n), offset);
                    progress.Advance(phase, n);
                }
                RandomAccess.FlushToDisk(handle);
                progress.Print(phase);
            }
            var (verified, mismatches) = Verify([extent], pattern!, _ => handle, ownsHandles: false, progress, ct);
            return new WipeResult(WipeResult.BlockDeviceScope, size, 0, 0, 0, verified, mismatches, started, clock.GetUtcNow());
        }
        finally
        {
            pattern?.Dispose();
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>
    /// Overwrites every regular file under <paramref name="volumePath"/> in place (never extending it),
    /// then fills the free space of its file system with files until it is full, <see cref="WipeOptions.Passes"/>
    /// times; verifies the last pass; then deletes the files and directories (the volume's directory
    /// itself stays, empty). Symbolic links are removed, not followed.
    /// </summary>
    public WipeResult WipeFilesAndFreeSpace(string volumePath, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        var extents = new List<Extent>();
        long logical = 0;
        foreach (var file in Directory.EnumerateFiles(volumePath, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            var length = new FileInfo(file).Length;
            extents.Add(new Extent(file, logical, length));
            logical += RoundUp(length);
        }
        var fileCount = extents.Count;
        var fileBytes = extents.Sum(e => e.Length);
        var free = new DriveInfo(volumePath).TotalFreeSpace;
        var progress = new WipeProgress(progressOutput, clock, (fileBytes + free) * options.Passes);
        var buffer = new byte[ChunkBytes];
        WipePattern? pattern = null;
        try
        {
            for (var pass = 1; pass <= options.Passes; pass++)
            {
                pattern?.Dispose();
                pattern = new WipePattern(options.Method);
                var phase = $"pass {pass}/{options.Passes} over the files of {volumePath}";
                foreach (var e in extents.Take(fileCount))
                {
                    using var handle = File.OpenHandle(e.Path, FileMode.Open, FileAccess.Write, FileShare.None);
                    WriteExtent(handle, e, pattern, buffer, progress, phase, ct);
                    RandomAccess.FlushToDisk(handle);
                }
                phase = $"pass {pass}/{options.Passes} over the free space of {volumePath}";
                if (pass == 1)
                {
                    FillFreeSpace(volumePath, extents, ref logical, pattern, buffer, progress, phase, ct);
                }
                else
                {
                    foreach (var e in extents.Skip(fileCount))
                    {
                        using var handle = File.OpenHandle(e.Path, FileMode.Open, FileAccess.Write, FileShare.None);
                        WriteExtent(handle, e, pattern, buffer, progress, phase, ct);
                        RandomAccess.FlushToDisk(handle);
                    }
                }
                Fsync.Directory(volumePath);
                progress.Print(phase);
            }
            progress.TotalBytes += VerifyBytes(extents);
            var (verified, mismatches) = Verify(extents, pattern!, e => File.OpenHandle(e.Path, FileMode.Open, FileAccess.Read), ownsHandles: true, progress, ct);
            if (mismatches == 0)
            {
                DeleteEverythingUnder(volumePath);
            }
            return new WipeResult(WipeResult.FilesAndFreeSpaceScope, extents.Sum(e => e.Length), fileCount, fileBytes,
                extents.Skip(fileCount).Sum(e => e.Length), verified, mismatches, started, clock.GetUtcNow());
        }
        finally
        {
            pattern?.Dispose();
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static long RoundUp(long length) => (length + 4095) / 4096 * 4096;

    private static void WriteExtent(SafeFileHandle handle, Extent e, WipePattern pattern, byte[] buffer, WipeProgress progress, string phase, CancellationToken ct)
    {
        for (long offset = 0; offset < e.Length; offset += ChunkBytes)
        {
            ct.ThrowIfCancellationRequested();
            var n = (int)Math.Min(ChunkBytes, e.Length - offset);
            pattern.Fill(buffer.AsSpan(0, n), e.LogicalBase + offset);
            RandomAccess.Write(handle, buffer.AsSpan(0, n), offset);
            progress.Advance(phase, n);
        }
    }

    // Files of up to 1 GiB until the file system refuses (ENOSPC), with ever smaller writes down to
    // 4 KiB to take the last blocks. As root this includes ext4's blocks reserved for root; the
    // clusters ext4 keeps back from every writer (reserved_clusters) stay unwritten (docs/sanitisation.md).
    private static void FillFreeSpace(string volumePath, List<Extent> extents, ref long logical, WipePattern pattern, byte[] buffer, WipeProgress progress, string phase, CancellationToken ct)
    {
        for (var index = 1; ; index++)
        {
            var path = Path.Combine(volumePath, FillFilePrefix + index.ToString("D6", System.Globalization.CultureInfo.InvariantCulture));
            long written = 0;
            var full = false;
            using (var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var chunk = ChunkBytes;
                while (written < FillFileBytes)
                {
                    ct.ThrowIfCancellationRequested();
                    pattern.Fill(buffer.AsSpan(0, chunk), logical + written);
                    try
                    {
                        RandomAccess.Write(handle, buffer.AsSpan(0, chunk), written);
                        written += chunk;
                        progress.Advance(phase, chunk);
                    }
                    catch (IOException e) when (IsNoSpace(e))
                    {
                        // A short write may have landed: what the file holds is the pattern up to its length.
                        written = RandomAccess.GetLength(handle);
                        if (chunk == 4096)
                        {
                            full = true;
                            break;
                        }
                        chunk /= 2;
                    }
                }
                RandomAccess.FlushToDisk(handle);
            }
            extents.Add(new Extent(path, logical, written));
            logical += RoundUp(written);
            if (full || written == 0)
            {
                return;
            }
        }
    }

    private static bool IsNoSpace(IOException e) => e.HResult == ENoSpc || (e.HResult & 0xFFFF) == ENoSpc || e.Message.Contains("No space left", StringComparison.Ordinal);

    private long VerifyBytes(IReadOnlyList<Extent> extents) => options.Verification.Full
        ? extents.Sum(e => e.Length)
        : Math.Min(extents.Sum(e => e.Length), (options.Verification.Samples + 2L) * WipeVerification.SampleRegionBytes);

    // Reads back what the last pass wrote: every byte, or sampled regions (the first and the last of
    // the whole space, and Samples at uniformly random offsets), after dropping cached pages so that
    // the bytes come from the medium.
    private (long Verified, long Mismatches) Verify(List<Extent> extents, WipePattern pattern, Func<Extent, SafeFileHandle> open, bool ownsHandles, WipeProgress progress, CancellationToken ct)
    {
        var regions = new List<(Extent Extent, long Offset, int Length)>();
        if (options.Verification.Full)
        {
            foreach (var e in extents)
            {
                for (long offset = 0; offset < e.Length; offset += ChunkBytes)
                {
                    regions.Add((e, offset, (int)Math.Min(ChunkBytes, e.Length - offset)));
                }
            }
        }
        else
        {
            var total = extents.Sum(e => e.Length);
            var points = new List<long> { 0, Math.Max(0, total - 1) };
            for (var i = 0; i < options.Verification.Samples; i++)
            {
                points.Add(total == 0 ? 0 : (long)(BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8)) % (ulong)total));
            }
            foreach (var point in points.Distinct())
            {
                long start = 0;
                foreach (var e in extents)
                {
                    if (point < start + e.Length)
                    {
                        var offset = (point - start) / WipeVerification.SampleRegionBytes * WipeVerification.SampleRegionBytes;
                        regions.Add((e, offset, (int)Math.Min(WipeVerification.SampleRegionBytes, e.Length - offset)));
                        break;
                    }
                    start += e.Length;
                }
            }
        }
        var read = new byte[ChunkBytes];
        var expected = new byte[ChunkBytes];
        long verified = 0, mismatches = 0;
        foreach (var group in regions.GroupBy(r => r.Extent))
        {
            var handle = open(group.Key);
            try
            {
                BlockDevice.DropCache(handle);
                foreach (var (e, offset, length) in group)
                {
                    ct.ThrowIfCancellationRequested();
                    var n = RandomAccess.Read(handle, read.AsSpan(0, length), offset);
                    pattern.Fill(expected.AsSpan(0, length), e.LogicalBase + offset);
                    for (var i = 0; i < length; i++)
                    {
                        mismatches += i < n && read[i] == expected[i] ? 0 : 1;
                    }
                    verified += length;
                    progress.Advance("verify", length);
                }
            }
            finally
            {
                if (ownsHandles)
                {
                    handle.Dispose();
                }
            }
        }
        progress.Print("verify");
        CryptographicOperations.ZeroMemory(expected);
        return (verified, mismatches);
    }

    private static void DeleteEverythingUnder(string volumePath)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(volumePath))
        {
            var info = new FileInfo(entry);
            if (info.Attributes.HasFlag(FileAttributes.Directory) && !info.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }
        Fsync.Directory(volumePath);
    }
}
