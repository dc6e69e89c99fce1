using CloudSecReq.Gateway.Metadata;
using static CloudSecReq.Gateway.Storage.RecordLog.ManifestLogFormat;

namespace CloudSecReq.Gateway.Storage.RecordLog;

// The append path: appends queue their record, and one committer thread writes each batch with one
// write and one fdatasync, rolling to a new segment when the active one is full (see ManifestLog.cs
// for the state and its locks).
internal sealed partial class ManifestLog
{
    /// <summary>
    /// Appends <paramref name="payload"/> as one record and completes once it is durable (written
    /// and fdatasync'd, together with whatever other appends were queued at the same time), with
    /// its extent. <paramref name="payload"/> must not change until the task completes.
    /// Thread-safe; concurrent appends are batched, not serialised behind each other's syncs.
    /// Cancelling <paramref name="ct"/> only abandons the wait: the record may still be written,
    /// unreferenced, like one whose writer crashed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The payload exceeds <see cref="ManifestLogFormat.MaxPayloadBytes"/>.</exception>
    /// <exception cref="IOException">(From the task.) The batch's write or sync failed: the record is not durable, and the
    /// log stays usable (cut back to its last good record). Also when the active segment was deleted (a removed volume):
    /// then every append fails until the log is reopened.</exception>
    /// <exception cref="ObjectDisposedException">The log is disposed.</exception>
    public Task<LogExtent> AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, MaxPayloadBytes);
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<LogExtent>(ct);
        }
        var done = new TaskCompletionSource<LogExtent>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_queueLock)
        {
            ObjectDisposedException.ThrowIf(_closing, this);
            _queue.Add((payload, done));
        }
        _signal.Set();
        return ct.CanBeCanceled ? done.Task.WaitAsync(ct) : done.Task;
    }

    private void CommitLoop()
    {
        var work = new Queue<(ReadOnlyMemory<byte> Payload, TaskCompletionSource<LogExtent> Done)>();
        try
        {
            while (true)
            {
                _signal.Wait();
                _signal.Reset();
                bool closing;
                lock (_queueLock)
                {
                    foreach (var item in _queue)
                    {
                        work.Enqueue(item);
                    }
                    _queue.Clear();
                    closing = _closing;
                }
                while (work.Count > 0)
                {
                    CommitBatch(work);
                }
                if (closing)
                {
                    return;
                }
            }
        }
        finally
        {
            _committerExited.TrySetResult();
        }
    }

    // Writes and syncs a prefix of work as one batch, then completes its waiters (or fails them).
    private void CommitBatch(Queue<(ReadOnlyMemory<byte> Payload, TaskCompletionSource<LogExtent> Done)> work)
    {
        var batch = new List<(ReadOnlyMemory<byte> Payload, TaskCompletionSource<LogExtent> Done)>();
        var bytes = 0;
        try
        {
            if (_rollRequired || (_activeLength > 0 && _activeLength + HeaderBytes + work.Peek().Payload.Length > _segmentBytes))
            {
                Roll();
            }
            while (work.Count > 0)
            {
                var size = HeaderBytes + work.Peek().Payload.Length;
                if (batch.Count > 0 && (bytes + size > MaxBatchBytes || _activeLength + bytes + size > _segmentBytes))
                {
                    break;
                }
                batch.Add(work.Dequeue());
                bytes += size;
            }
            if (_batch.Length < bytes && bytes <= MaxBatchBytes)
            {
                _batch = new byte[Math.Max(bytes, Math.Min(2 * _batch.Length, MaxBatchBytes))];
            }
            // A record larger than a batch gets a buffer of its own, not kept.
            var buffer = bytes <= _batch.Length ? _batch : new byte[bytes];
            var at = 0;
            foreach (var (payload, _) in batch)
            {
                WriteHeader(buffer.AsSpan(at, HeaderBytes), payload.Span);
                payload.Span.CopyTo(buffer.AsSpan(at + HeaderBytes));
                at += HeaderBytes + payload.Length;
            }
            WriteAndSync(buffer.AsSpan(0, bytes));
        }
        catch (Exception e)
        {
            if (batch.Count == 0)
            {
                // The roll failed: nothing of this batch can be written; fail what is queued now.
                while (work.Count > 0)
                {
                    batch.Add(work.Dequeue());
                }
            }
            var error = e as IOException ?? new IOException("Manifest log append failed: " + e.Message, e);
            foreach (var (_, done) in batch)
            {
                done.TrySetException(error);
            }
            return;
        }
        var offset = _activeLength;
        var name = SegmentName(_activeNumber);
        lock (_activeLock)
        {
            _activeLength += bytes;
        }
        Volatile.Write(ref _committedBatches, _committedBatches + 1);
        foreach (var (payload, done) in batch)
        {
            done.TrySetResult(new LogExtent(name, offset, payload.Length));
            offset += HeaderBytes + payload.Length;
        }
    }

    // One write and one fdatasync for the whole batch. On failure the segment is cut back to its
    // durable length, so the next batch writes after the last good record; if even that fails the
    // next batch starts a new segment.
    private void WriteAndSync(ReadOnlySpan<byte> frames)
    {
        try
        {
            // A segment unlinked under us (a removed volume) would still take writes and syncs.
            if (!File.Exists(_activePath))
            {
                throw new FileNotFoundException($"Manifest log segment {_activePath} is gone.", _activePath);
            }
            RandomAccess.Write(_active, frames, _activeLength);
            DataSync(_active);
        }
        catch
        {
            try
            {
                RandomAccess.SetLength(_active, _activeLength);
                DataSync(_active);
            }
            catch (Exception)
            {
                _rollRequired = true;
            }
            throw;
        }
    }

    private void Roll()
    {
        var number = _activeNumber + 1;
        var (handle, path) = CreateSegment(Directory, number);
        lock (_openLock)
        {
            _segments.Add(number);
            _open[number] = (handle, path);
        }
        lock (_activeLock)
        {
            _active = handle;
            _activePath = path;
            _activeNumber = number;
            _activeLength = 0;
        }
        _rollRequired = false;
    }
}
