using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Encryption;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// An object's bytes read back as stream stages (writing: <see cref="SegmentWrite"/>).
/// Only the stripes a range touches are read from the shards (rebuilt from the others when
/// a shard is missing or fails its checksum), or an inline segment from its first good manifest copy,
/// and only the packages the range touches are verified and decrypted; no unverified byte is ever
/// written to the destination. Shard and copy faults seen on the way are returned, for the heal queue.
/// </summary>
internal static class ObjectBody
{
    /// <summary>The message of the 503 when no copy of an inline object can be read.</summary>
    public const string NoCopyReadable = "No copy of the object is readable right now; please retry later.";

    /// <summary>
    /// How a read ended: the shard (or copy) faults worked around, for the heal queue; or, when no copy
    /// of an inline object was readable, the failure to throw (<see cref="ObjectFailure.Unavailable"/>,
    /// or <see cref="SegmentIntegrityException"/> when every copy was there and failed its checks)
    /// unless the caller finds the object replaced meanwhile, its old copies overwritten.
    /// </summary>
    internal readonly record struct Result(IReadOnlyList<ShardFault> Faults, Exception? NoCopyReadable);

    /// <summary>
    /// Streams the object bytes [offset, offset+length) to <paramref name="destination"/>, also into
    /// <paramref name="hash"/> when given. Returns the shard faults worked around (empty when every
    /// shard read was clean): the caller queues the object for healing; or, for an inline object of
    /// which no copy could be read, <see cref="Result.NoCopyReadable"/> (the caller decides: a race
    /// with a replacing write, or that failure). Throws <see cref="ObjectFailure.Unavailable"/> when a stripe
    /// has fewer than k good shards.
    /// </summary>
    public static async Task<Result> CopyAsync(BlobStore blobs, InlineCopies inline, ObjectRecord record, PinnedKey? dataKey, long offset, long length, Stream destination, IncrementalHash? hash, CancellationToken ct)
    {
        var target = hash is null ? destination : new HashingWriteStream(destination, hash);
        var faults = new List<ShardFault>();
        long segmentStart = 0;
        foreach (var segment in record.Segments)
        {
            if (length <= 0)
            {
                break;
            }
            var plainLength = segment.ObjectBytes;
            if (offset < segmentStart + plainLength)
            {
                var within = offset - segmentStart;
                var take = Math.Min(length, plainLength - within);
                if (segment.Inline)
                {
                    var (inlineFaults, unreadable) = await CopyInlineAsync(inline, record, segment, dataKey, within, take, target, ct);
                    faults.AddRange(inlineFaults);
                    if (unreadable is not null)
                    {
                        return new Result(faults, unreadable);
                    }
                }
                else if (record.Encryption is null)
                {
                    faults.AddRange(await ReadStoredAsync(blobs, segment, within, take, target, ct));
                }
                else
                {
                    ArgumentNullException.ThrowIfNull(dataKey);
                    faults.AddRange(await OpenSealedAsync(blobs, segment, dataKey, within, take, target, ct));
                }
                offset += take;
                length -= take;
            }
            segmentStart += plainLength;
        }
        return new Result(faults, null);
    }

    // An inline segment is read from its first good manifest copy; a copy that cannot be read or whose
    // package fails authentication is reported (its index in ObjectRecord.Manifests) and the next
    // one is tried, resuming at the package that failed. Unreadable is the failure when no copy was readable.
    private static async Task<(List<ShardFault> Faults, Exception? Unreadable)> CopyInlineAsync(InlineCopies inline, ObjectRecord record, DataSegment segment, PinnedKey? dataKey,
        long plainOffset, long count, Stream target, CancellationToken ct)
    {
        var faults = new List<ShardFault>();
        using var segmentKey = dataKey is null ? null
            : SegmentKey.Derive(dataKey.Bytes, segment.Salt ?? throw new SegmentIntegrityException(segment.PartNumber, 0, "the segment has no salt"), segment.PartNumber);
        var end = plainOffset + count;
        SegmentIntegrityException? failed = null;
        for (var i = 0; i < record.Manifests.Count; i++)
        {
            var (bytes, problem, damaged) = await inline.ReadAsync(record.Manifests[i], record, confirmOwner: false, ct);
            if (bytes is not { } stored)
            {
                faults.Add(new ShardFault(i, damaged ? ShardFaultKind.ChecksumMismatch : ShardFaultKind.Missing, null, problem!));
                continue;
            }
            if (segmentKey is null)
            {
                await target.WriteAsync(stored.Slice((int)plainOffset, (int)count), ct);
                return (faults, null);
            }
            try
            {
                await SegmentOpener.CopyPlaintextAsync(storedOffset => ReadOnlyStream(stored[(int)storedOffset..]),
                    segmentKey, segment.ObjectBytes, plainOffset, end - plainOffset, target, ct);
                return (faults, null);
            }
            catch (SegmentIntegrityException e)
            {
                failed = e;
                faults.Add(new ShardFault(i, ShardFaultKind.ChecksumMismatch, null, $"package {e.PackageIndex} of copy {i} failed authentication"));
                plainOffset = Math.Max(plainOffset, e.PackageIndex * SealedFormat.PackagePlainBytes);
            }
        }
        // Every copy there and failing its checks is a 500, as a package that fails authentication with
        // every choice of shards; yet copies overwritten after a replacement read the same way.
        return (faults, faults.All(f => f.Kind == ShardFaultKind.ChecksumMismatch)
            ? failed ?? new SegmentIntegrityException(segment.PartNumber, 0, "no copy of the inline object is intact")
            : new ObjectException(ObjectFailure.Unavailable, NoCopyReadable, new IOException(string.Join("; ", faults.Select(f => f.Detail)))));
    }

    private static MemoryStream ReadOnlyStream(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var array)
            ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);

    // A package that fails authentication although every block passed its checksum means a shard
    // holds wrong bytes under a valid checksum (or the stored object was tampered with): the read
    // resumes at that package with one shard left out at a time, so that a single bad shard is
    // rebuilt from the others; only when no such read verifies does the GET fail.
    private static async Task<IReadOnlyList<ShardFault>> OpenSealedAsync(BlobStore blobs, DataSegment segment, PinnedKey dataKey, long plainOffset, long count, Stream target, CancellationToken ct)
    {
        using var segmentKey = SegmentKey.Derive(dataKey.Bytes, segment.Salt ?? throw new SegmentIntegrityException(segment.PartNumber, 0, "the segment has no salt"), segment.PartNumber);
        var end = plainOffset + count;
        SegmentIntegrityException? first = null;
        for (int? excluded = null; excluded is null || excluded < segment.Shards.Count; excluded = (excluded ?? -1) + 1)
        {
            try
            {
                var faults = await OpenSealedOnceAsync(blobs, segment, segmentKey, plainOffset, end - plainOffset, target, excluded, ct);
                return excluded is { } bad
                    ? [.. faults, new ShardFault(bad, ShardFaultKind.ChecksumMismatch, null, $"package {first!.PackageIndex} failed authentication with this shard")]
                    : faults;
            }
            catch (SegmentIntegrityException e)
            {
                first ??= e;
                // Packages before the failing one were verified and written: resume at the failing one.
                plainOffset = Math.Max(plainOffset, e.PackageIndex * SealedFormat.PackagePlainBytes);
            }
        }
        throw first!;
    }

    // The sealed bytes of the touched packages come from the shards through a pipe: the stripe reader
    // pushes, the opener pulls and verifies.
    private static async Task<IReadOnlyList<ShardFault>> OpenSealedOnceAsync(BlobStore blobs, DataSegment segment, SegmentKey segmentKey, long plainOffset, long count, Stream target, int? excludedShard, CancellationToken ct)
    {
        var plainLength = segment.ObjectBytes;
        var firstPackage = plainOffset / SealedFormat.PackagePlainBytes;
        var lastPackage = count == 0 ? 0 : (plainOffset + count - 1) / SealedFormat.PackagePlainBytes;
        var storedStart = SealedFormat.PackageSealedOffset(firstPackage);
        var storedEnd = Math.Min(segment.Length, SealedFormat.PackageSealedOffset(lastPackage) + SealedFormat.PackagePlainLength(plainLength, lastPackage) + SealedFormat.TagBytes);
        if (count == 0 && plainLength != 0)
        {
            return [];
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pipe = new Pipe();
        var reading = Task.Run(async () =>
        {
            await using var sink = pipe.Writer.AsStream();
            try
            {
                var faults = await ReadStoredAsync(blobs, segment, storedStart, storedEnd - storedStart, sink, stop.Token, excludedShard);
                await pipe.Writer.CompleteAsync();
                return faults;
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
                throw;
            }
        }, CancellationToken.None);
        try
        {
            await SegmentOpener.CopyPlaintextAsync(_ => pipe.Reader.AsStream(), segmentKey, plainLength, plainOffset, count, target, ct);
        }
        catch
        {
            await stop.CancelAsync();
            ObjectException? readFailure = null;
            try
            {
                await reading;
            }
            catch (ObjectException e)
            {
                readFailure = e;
            }
            catch
            {
                // The opener's exception is the one to report.
            }
            if (readFailure is not null)
            {
                // The read's own failure (too few shards) says more than the opener's "ends inside the package".
                throw readFailure;
            }
            throw;
        }
        return await reading;
    }

    /// <summary>Writes stored (sealed) bytes [offset, offset+count) of a segment, rebuilding what its shards lack.</summary>
    internal static async Task<IReadOnlyList<ShardFault>> ReadStoredAsync(BlobStore blobs, DataSegment segment, long offset, long count, Stream destination, CancellationToken ct, int? excludedShard = null)
    {
        var shards = new Stream?[segment.Shards.Count];
        try
        {
            for (var i = 0; i < shards.Length; i++)
            {
                shards[i] = i == excludedShard ? null : blobs.TryOpenRead(segment.Shards[i]);
            }
            var reader = new StripeReader(Codecs.For(segment.DataShards, segment.ParityShards));
            StripeReadResult result;
            try
            {
                result = await reader.ReadAsync(shards, destination, offset, count, ct);
            }
            catch (ShardLossException e)
            {
                throw new ObjectException(ObjectFailure.Unavailable, "Too few shards of the object are readable right now; please retry later.", e);
            }
            var faults = result.Faults.ToList();
            for (var i = 0; i < shards.Length; i++)
            {
                if (shards[i] is null && i != excludedShard && !faults.Any(f => f.ShardIndex == i))
                {
                    faults.Add(new ShardFault(i, ShardFaultKind.Missing, null, $"shard {segment.Shards[i].BlobId} on volume {segment.Shards[i].VolumeId} cannot be opened"));
                }
            }
            return faults;
        }
        finally
        {
            foreach (var shard in shards)
            {
                if (shard is not null)
                {
                    await shard.DisposeAsync();
                }
            }
        }
    }
}
