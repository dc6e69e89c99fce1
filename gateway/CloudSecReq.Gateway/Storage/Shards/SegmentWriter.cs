using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Storage.Shards;

/// <summary>
/// A segment being written: bytes written to <see cref="Stream"/> are cut into stripes,
/// erasure-coded and written as k + m shard files (docs/erasure-format.md), shard i to the i-th
/// volume of the placement plan, each first as a temporary file. <see cref="CommitAsync"/> makes the
/// shards durable in parallel and succeeds when at least k + the write quorum of them are; shards
/// whose volume failed are left for the healer (<see cref="SegmentCommit.MissingShards"/>).
/// Disposing without a commit releases every temporary file to the background overwrite.
/// Not thread-safe.
/// </summary>
internal sealed class SegmentWriter : IAsyncDisposable
{
    private readonly StorageClass _storageClass;
    private readonly int _writeQuorum;
    private readonly List<BlobWriter> _blobs = [];
    private readonly List<ShardSink> _sinks = [];
    private readonly StripeWritingStream _stripes;
    private readonly int _blockBytes;

    internal SegmentWriter(BlobStore store, StorageClass storageClass, IReadOnlyList<Volume> volumes, int blockBytes)
    {
        _storageClass = storageClass;
        _writeQuorum = Math.Min(store.WriteQuorum, storageClass.ParityShards);
        _blockBytes = blockBytes;
        var segmentId = Guid.NewGuid().ToString("N");
        try
        {
            for (var i = 0; i < volumes.Count; i++)
            {
                var blob = store.CreateBlob(volumes[i], $"{segmentId}.{i}");
                _blobs.Add(blob);
                _sinks.Add(new ShardSink(blob.File));
            }
        }
        catch
        {
            foreach (var blob in _blobs)
            {
                blob.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            throw;
        }
        _stripes = new StripeWritingStream(Codecs.For(storageClass.DataShards, storageClass.ParityShards), blockBytes, _sinks);
    }

    /// <summary>Where the (sealed) segment bytes go.</summary>
    public Stream Stream => _stripes;

    /// <summary>
    /// Finishes the last stripe, then flushes every shard to disk and moves it into place. Throws
    /// <see cref="IOException"/> when fewer than k + the write quorum shards became durable (the
    /// ones that did are released again by disposing), or <see cref="OperationCanceledException"/> when
    /// <paramref name="ct"/> was cancelled meanwhile; a cancelled shard commit does not take its volume out of use.
    /// </summary>
    public async Task<SegmentCommit> CommitAsync(CancellationToken ct)
    {
        var length = await _stripes.FinishAsync(ct);
        var commits = _blobs.Select((blob, i) => _sinks[i].Failure is { } failure
            ? Task.FromException<ShardBlob>(failure)
            : Task.Run(() => blob.CommitAsync(ct), ct)).ToArray();
        try
        {
            await Task.WhenAll(commits);
        }
        catch
        {
            // Looked at per shard below.
        }
        var missing = new List<int>();
        for (var i = 0; i < commits.Length; i++)
        {
            if (!commits[i].IsCompletedSuccessfully)
            {
                missing.Add(i);
                // A commit cancelled because the request was (the client went away) says nothing about
                // the volume: taking it out of use would refuse every write after it (issue 11).
                if (!IsCancellation(commits[i]))
                {
                    _blobs[i].Volume.MarkFailed("writing a shard failed: " + commits[i].Exception?.GetBaseException().Message);
                }
            }
        }
        var durable = commits.Length - missing.Count;
        var needed = _storageClass.DataShards + _writeQuorum;
        if (durable < needed)
        {
            // Committed shards are moved out again when the caller disposes: nothing half-written stays.
            foreach (var i in Enumerable.Range(0, commits.Length).Where(i => commits[i].IsCompletedSuccessfully))
            {
                _blobs[i].Store.Delete(commits[i].Result);
            }
            ct.ThrowIfCancellationRequested();
            throw new IOException($"Only {durable} of {commits.Length} shards could be written ({needed} needed): " +
                string.Join("; ", missing.Select(i => $"{_blobs[i].Volume.Id}: {commits[i].Exception?.GetBaseException().Message}")));
        }
        var segment = new DataSegment
        {
            Length = length,
            DataShards = _storageClass.DataShards,
            ParityShards = _storageClass.ParityShards,
            BlockBytes = _blockBytes,
            Shards = _blobs.Select(b => new ShardBlob(b.Volume.Id, b.BlobId)).ToList(),
        };
        return new SegmentCommit(segment, missing);
    }

    private static bool IsCancellation(Task commit) =>
        commit.IsCanceled || commit.Exception?.GetBaseException() is OperationCanceledException;

    public async ValueTask DisposeAsync()
    {
        await _stripes.DisposeAsync();
        foreach (var blob in _blobs)
        {
            await blob.DisposeAsync();
        }
    }
}
