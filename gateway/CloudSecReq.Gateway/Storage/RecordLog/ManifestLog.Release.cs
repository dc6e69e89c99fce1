using System.Buffers;
using System.Security.Cryptography;
using CloudSecReq.Gateway.Metadata;
using Microsoft.Win32.SafeHandles;
using static CloudSecReq.Gateway.Storage.RecordLog.ManifestLogFormat;

namespace CloudSecReq.Gateway.Storage.RecordLog;

// Overwrite on release: a released record's payload is overwritten in place (see ManifestLog.cs for
// the state and its locks).
internal sealed partial class ManifestLog
{
    /// <summary>
    /// Overwrite on release (P2 6.2.2.6.1 b, e, f): overwrites the record's payload and payload CRC in
    /// place with random bytes (marked released, see <see cref="ManifestLogFormat"/>) and fdatasyncs,
    /// so the record no longer reads back and its bytes are gone from the blocks the file owns. The
    /// header stays, so scans step over the record. Never extends the file. Idempotent: a record
    /// already released is left as it is. Thread-safe, also against appends and reads. Unthrottled:
    /// the caller paces (<c>Overwrite/OverwriteThrottle</c>). Runs synchronously (one read, one write,
    /// one fdatasync) on the calling thread.
    /// </summary>
    /// <exception cref="ArgumentException">The extent names no segment of this form or has a negative offset or length.</exception>
    /// <exception cref="InvalidDataException">A valid record header at the extent's offset has another length: the extent does not name that record, and nothing was written.</exception>
    /// <exception cref="FileNotFoundException">The segment file is gone (and with it the record's bytes, as far as this log can reach).</exception>
    /// <exception cref="DirectoryNotFoundException">The log's directory is gone.</exception>
    /// <exception cref="IOException">The write or sync failed; retry.</exception>
    public Task OverwriteAsync(LogExtent extent, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (OverwriteInPlace(extent) is { } written)
        {
            DataSync(written);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// <see cref="OverwriteAsync(LogExtent, CancellationToken)"/> for many records with one fdatasync
    /// per segment touched, not one per record (the garbage collector releases many at a time).
    /// Returns, per extent, null when it is overwritten and durable, or the exception that
    /// <see cref="OverwriteAsync(LogExtent, CancellationToken)"/> would have thrown; a failed sync fails
    /// every record written to that segment. Runs synchronously on the calling thread.
    /// </summary>
    public Task<Exception?[]> OverwriteAsync(IReadOnlyList<LogExtent> extents, CancellationToken ct)
    {
        var results = new Exception?[extents.Count];
        var written = new Dictionary<SafeFileHandle, List<int>>();
        for (var i = 0; i < extents.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (OverwriteInPlace(extents[i]) is { } handle)
                {
                    if (!written.TryGetValue(handle, out var indices))
                    {
                        written[handle] = indices = [];
                    }
                    indices.Add(i);
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                results[i] = e;
            }
        }
        foreach (var (handle, indices) in written)
        {
            try
            {
                DataSync(handle);
            }
            catch (IOException e)
            {
                foreach (var i in indices)
                {
                    results[i] = e;
                }
            }
        }
        return Task.FromResult(results);
    }

    // Overwrites one record's payload in place (see OverwriteAsync); returns the segment handle written
    // to, to be synced, or null when there was nothing to write.
    private SafeFileHandle? OverwriteInPlace(LogExtent extent)
    {
        var handle = SegmentFor(extent);
        var total = (int)Math.Min(HeaderBytes + extent.Length, Math.Max(0, RandomAccess.GetLength(handle) - extent.Offset));
        if (total <= PayloadCrcOffset)
        {
            return null; // the payload is not in the file: nothing to overwrite
        }
        var buffer = ArrayPool<byte>.Shared.Rent(HeaderBytes + extent.Length);
        try
        {
            var got = ReadFully(handle, buffer.AsSpan(0, total), extent.Offset);
            var header = buffer.AsSpan(0, HeaderBytes);
            var length = got >= HeaderBytes ? ReadHeader(header) : -1;
            if (length >= 0 && length != extent.Length)
            {
                throw new InvalidDataException($"The record at {extent.Segment}@{extent.Offset} is {length} bytes, not {extent.Length}: not overwritten.");
            }
            if (length >= 0 && got == HeaderBytes + length && IsReleased(header, buffer.AsSpan(HeaderBytes, length)))
            {
                return null;
            }
            if (got <= PayloadCrcOffset)
            {
                return null; // cut off since GetLength: only an unacknowledged tail is ever cut
            }
            // A damaged header is no reason to keep the payload: the extent came from AppendAsync.
            var tail = buffer.AsSpan(PayloadCrcOffset, got - PayloadCrcOffset);
            if (got == HeaderBytes + extent.Length)
            {
                FillReleased(tail, extent.Length);
            }
            else
            {
                RandomNumberGenerator.Fill(tail);
            }
            RandomAccess.Write(handle, tail, extent.Offset + PayloadCrcOffset);
            return handle;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, total));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
