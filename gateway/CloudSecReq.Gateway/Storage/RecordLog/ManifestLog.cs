using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CloudSecReq.Gateway.Metadata;
using Microsoft.Win32.SafeHandles;
using static CloudSecReq.Gateway.Storage.RecordLog.ManifestLogFormat;

namespace CloudSecReq.Gateway.Storage.RecordLog;

/// <summary>
/// A durable append-only log of records in one directory (a volume's <c>log/</c>), so that small
/// shards cost a share of one fdatasync instead of a file and three fsyncs each (issue 6). Records
/// go to numbered segment files (<c>00000001.log</c>, …) framed as in <see cref="ManifestLogFormat"/>
/// and docs/manifest-log.md; a record never spans segments. Appends are group-committed: one
/// committer thread takes every queued record, writes them with one write and makes them durable
/// with one fdatasync, then completes all their waiters. Released records are overwritten in place
/// (<see cref="OverwriteAsync(LogExtent, CancellationToken)"/>). Segments are self-describing: <see cref="ScanAsync(CancellationToken)"/>
/// finds every intact record without any other state.
/// One instance per directory, held exclusively (an advisory lock on <c>lock</c>); all members are
/// thread-safe.
/// <para>
/// One class over three files, by concept: this one (opening, the kept-open segment handles, reads,
/// scans, closing; all the state and its locks are declared here), <c>ManifestLog.Append.cs</c> (the
/// group-committed append path) and <c>ManifestLog.Release.cs</c> (overwrite on release).
/// </para>
/// </summary>
internal sealed partial class ManifestLog : IAsyncDisposable
{
    public const long DefaultSegmentBytes = 64L * 1024 * 1024;

    // Caps one batch's write; a record larger than this is written alone.
    private const int MaxBatchBytes = 4 * 1024 * 1024;
    private const string LockFileName = "lock";
    private readonly long _segmentBytes;
    private readonly SafeFileHandle _lockFile;

    // Segment handles, opened once and kept for reads, overwrites and (the active one) appends.
    private readonly ConcurrentDictionary<long, (SafeFileHandle Handle, string Path)> _open = new();
    private readonly Lock _openLock = new();
    private readonly List<long> _segments; // ascending; guarded by _openLock
    private bool _disposed; // guarded by _openLock

    private readonly Lock _queueLock = new();
    private readonly List<(ReadOnlyMemory<byte> Payload, TaskCompletionSource<LogExtent> Done)> _queue = [];
    private bool _closing; // guarded by _queueLock
    // No spinning before blocking: one committer per volume, and spinning ones would take the cores the requests need.
    private readonly ManualResetEventSlim _signal = new(false, spinCount: 0);
    private readonly TaskCompletionSource _committerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The active segment: written only by the committer thread; number and durable length read
    // together under _activeLock by scans.
    private readonly Lock _activeLock = new();
    private long _activeNumber;
    private long _activeLength;
    private SafeFileHandle _active;
    private string _activePath;
    private bool _rollRequired;
    private byte[] _batch = new byte[64 * 1024];
    private long _committedBatches;

    private ManifestLog(string directory, long segmentBytes, SafeFileHandle lockFile, List<long> segments,
        long activeNumber, long activeLength, SafeFileHandle active, string activePath, long truncatedBytes)
    {
        Directory = directory;
        _segmentBytes = segmentBytes;
        _lockFile = lockFile;
        _segments = segments;
        _activeNumber = activeNumber;
        _activeLength = activeLength;
        _active = active;
        _activePath = activePath;
        _open[activeNumber] = (active, activePath);
        TruncatedBytesOnOpen = truncatedBytes;
        new Thread(CommitLoop) { IsBackground = true, Name = "manifest-log-commit" }.Start();
    }

    /// <summary>The directory holding the segments.</summary>
    public string Directory { get; }

    /// <summary>Batches committed (one write and one fdatasync each) since open: appends per sync is the group-commit factor.</summary>
    public long CommittedBatches => Volatile.Read(ref _committedBatches);

    /// <summary>Bytes of torn tail (a partial batch left by a crash) cut off the newest segment by <see cref="Open"/>.</summary>
    public long TruncatedBytesOnOpen { get; }

    /// <summary>
    /// Opens the log in <paramref name="directory"/>, creating it (and its first segment) if needed,
    /// and continues appending to the newest segment. The newest segment's tail after its last
    /// record with a valid header (bytes of a write a crash interrupted) is truncated and the
    /// truncation made durable; those bytes are never trusted. Records with a valid header are
    /// never cut, so an extent handed out before stays valid. Reads the whole newest segment.
    /// </summary>
    /// <param name="segmentBytes">When a segment holds this many bytes, appends roll to a new one; a record larger than it gets a segment of its own.</param>
    /// <param name="firstSegment">
    /// The number of a new log's first segment (later ones count up from it). An owner whose disks can
    /// be replaced gives each new log a number no earlier log used, so that an extent kept from a
    /// replaced disk names no segment of the new log instead of someone else's bytes.
    /// </param>
    /// <exception cref="IOException">The directory cannot be created or read, another <see cref="ManifestLog"/> holds it, or a segment cannot be opened, truncated or synced.</exception>
    public static ManifestLog Open(string directory, long segmentBytes = DefaultSegmentBytes, long firstSegment = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentBytes, HeaderBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstSegment, 1);
        directory = Path.GetFullPath(directory);
        var existed = System.IO.Directory.Exists(directory);
        System.IO.Directory.CreateDirectory(directory);
        if (!existed)
        {
            Fsync.Directory(Path.GetDirectoryName(directory)!);
        }
        // FileShare.None takes an exclusive flock on Unix: a second writer on the same log fails here.
        var lockFile = File.OpenHandle(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        try
        {
            var segments = new List<long>();
            foreach (var path in System.IO.Directory.EnumerateFiles(directory))
            {
                if (TryParseSegmentName(Path.GetFileName(path), out var number))
                {
                    segments.Add(number);
                }
            }
            segments.Sort();
            if (segments.Count == 0)
            {
                var (handle, path) = CreateSegment(directory, firstSegment);
                segments.Add(firstSegment);
                return new ManifestLog(directory, segmentBytes, lockFile, segments, firstSegment, 0, handle, path, 0);
            }
            var newest = segments[^1];
            var newestPath = Path.Combine(directory, SegmentName(newest));
            var newestHandle = OpenSegment(newestPath);
            try
            {
                var length = RandomAccess.GetLength(newestHandle);
                long end = 0;
                foreach (var record in Records(newestHandle, length, readPayloads: false, new ManifestLogScanStats()))
                {
                    end = record.Offset + HeaderBytes + record.Length;
                }
                if (end < length)
                {
                    RandomAccess.SetLength(newestHandle, end);
                    DataSync(newestHandle);
                }
                return new ManifestLog(directory, segmentBytes, lockFile, segments, newest, end, newestHandle, newestPath, length - end);
            }
            catch
            {
                newestHandle.Dispose();
                throw;
            }
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the record at <paramref name="extent"/>: its payload if the header and payload CRCs check
    /// out, null if it was overwritten on release or is damaged. Synchronous positional read on a
    /// segment handle kept open (the returned task is already complete). Thread-safe.
    /// </summary>
    /// <exception cref="ArgumentException">The extent names no segment of this form (<c>00000001.log</c>) or has a negative offset or length.</exception>
    /// <exception cref="FileNotFoundException">The segment file is gone (also when it was deleted after being opened).</exception>
    /// <exception cref="DirectoryNotFoundException">The log's directory is gone.</exception>
    /// <exception cref="IOException">The read failed.</exception>
    public ValueTask<byte[]?> ReadAsync(LogExtent extent, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var handle = SegmentFor(extent);
        var total = HeaderBytes + extent.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            if (ReadFully(handle, buffer.AsSpan(0, total), extent.Offset) < total)
            {
                return ValueTask.FromResult<byte[]?>(null);
            }
            var header = buffer.AsSpan(0, HeaderBytes);
            var payload = buffer.AsSpan(HeaderBytes, extent.Length);
            return ValueTask.FromResult(ReadHeader(header) == extent.Length && IsIntact(header, payload) ? payload.ToArray() : null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Every intact record, segment by segment in order; see <see cref="ScanAsync(ManifestLogScanStats?, CancellationToken)"/>.</summary>
    public IAsyncEnumerable<(LogExtent Extent, byte[] Payload)> ScanAsync(CancellationToken ct) => ScanAsync(null, ct);

    /// <summary>
    /// Every intact record in log order (for metadata rebuild and scrubbing), read from the segments
    /// alone. Released and damaged records are skipped and counted in <paramref name="stats"/>, as
    /// are runs of bytes resynchronised over; the active segment is read up to what was durable when
    /// the scan reached it. Safe to run alongside appends, reads and overwrites (a record released
    /// during the scan may or may not be returned).
    /// </summary>
    /// <exception cref="FileNotFoundException">A segment disappeared during the scan.</exception>
    /// <exception cref="IOException">A read failed.</exception>
    public async IAsyncEnumerable<(LogExtent Extent, byte[] Payload)> ScanAsync(ManifestLogScanStats? stats, [EnumeratorCancellation] CancellationToken ct)
    {
        stats ??= new ManifestLogScanStats();
        long[] segments;
        lock (_openLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            segments = [.. _segments];
        }
        foreach (var number in segments)
        {
            // The reads below are synchronous: do not run them on the caller's context.
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            var handle = Segment(number);
            long limit;
            lock (_activeLock)
            {
                limit = number == _activeNumber ? _activeLength : -1;
            }
            if (limit < 0)
            {
                limit = RandomAccess.GetLength(handle); // rolled: final, and synced before the roll
            }
            stats.Segments++;
            var name = SegmentName(number);
            foreach (var record in Records(handle, limit, readPayloads: true, stats))
            {
                if (record.Payload is not null)
                {
                    stats.Intact++;
                    yield return (new LogExtent(name, record.Offset, record.Length), record.Payload);
                }
                else if (record.Released)
                {
                    stats.Released++;
                }
                else
                {
                    stats.Corrupt++;
                }
            }
        }
    }

    /// <summary>
    /// Stops accepting appends, lets the committer write and sync what was already queued, then
    /// closes the segment files. Reads after this throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_queueLock)
        {
            if (_closing)
            {
                return;
            }
            _closing = true;
        }
        _signal.Set();
        await _committerExited.Task;
        lock (_openLock)
        {
            _disposed = true;
            foreach (var (handle, _) in _open.Values)
            {
                handle.Dispose();
            }
            _open.Clear();
            _active.Dispose(); // also when a deleted segment's handle was dropped from _open
        }
        _lockFile.Dispose();
        // _signal is not disposed: an appender may still Set it after its record was committed.
    }

    // A new, empty segment, 0600, its directory entry synced. An empty file left by a roll that
    // failed after creating it is reused.
    private static (SafeFileHandle Handle, string Path) CreateSegment(string directory, long number)
    {
        var path = Path.Combine(directory, SegmentName(number));
        if (!File.Exists(path))
        {
            using var create = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                BufferSize = 0,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        var handle = OpenSegment(path);
        try
        {
            if (RandomAccess.GetLength(handle) != 0)
            {
                throw new IOException($"Manifest log segment {path} already holds data.");
            }
            Fsync.Directory(directory);
            return (handle, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static SafeFileHandle OpenSegment(string path) =>
        File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);

    private SafeFileHandle SegmentFor(LogExtent extent)
    {
        if (!TryParseSegmentName(extent.Segment, out var number) || SegmentName(number) != extent.Segment)
        {
            throw new ArgumentException($"'{extent.Segment}' is not a manifest log segment name.", nameof(extent));
        }
        if (extent.Offset < 0 || extent.Length is < 0 or > MaxPayloadBytes)
        {
            throw new ArgumentException("The extent's offset or length is out of range.", nameof(extent));
        }
        return Segment(number);
    }

    // The kept-open handle of a segment. A path that no longer exists means the file was deleted (or
    // the volume removed): the stale handle is dropped rather than read, so a lost volume shows as
    // lost. Dropped handles are closed by their finalizer, as a reader may still be using them.
    private SafeFileHandle Segment(long number)
    {
        if (_open.TryGetValue(number, out var open))
        {
            if (File.Exists(open.Path))
            {
                return open.Handle;
            }
            _open.TryRemove(new KeyValuePair<long, (SafeFileHandle, string)>(number, open));
        }
        lock (_openLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue(number, out open) && File.Exists(open.Path))
            {
                return open.Handle;
            }
            var path = Path.Combine(Directory, SegmentName(number));
            if (!System.IO.Directory.Exists(Directory))
            {
                throw new DirectoryNotFoundException($"Manifest log directory {Directory} is gone.");
            }
            var handle = OpenSegment(path);
            _open[number] = (handle, path);
            return handle;
        }
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[got..], offset + got);
            if (n == 0)
            {
                break;
            }
            got += n;
        }
        return got;
    }

    // fdatasync: the data and the size, without the timestamps fsync would also write.
    private static void DataSync(SafeFileHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (FDataSync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync of a manifest log segment failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);
}
