using System.Buffers.Binary;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Shards;

/// Reads an object (or a byte range of it) back from its shard files, from any k usable shards.
/// Every block is checked against its CRC-32C before use; a bad, truncated or missing block is
/// treated as lost and rebuilt from the others, and is reported so the caller can heal it.
/// Only the stripes a range touches are read, and within a stripe only the data blocks it
/// touches unless one of them is bad. An instance holds no per-read state and may be shared.
public sealed class StripeReader
{
    private readonly ReedSolomonCodec _codec;

    /// <param name="codec">The code the shards were written with (k and m must match their headers).</param>
    public StripeReader(ReedSolomonCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        _codec = codec;
    }

    /// <summary>Writes the whole object to <paramref name="destination"/>.</summary>
    /// <inheritdoc cref="ReadAsync(IReadOnlyList{Stream?}, Stream, long, long?, CancellationToken)"/>
    public Task<StripeReadResult> ReadAsync(IReadOnlyList<Stream?> shards, Stream destination, CancellationToken cancellationToken) =>
        ReadAsync(shards, destination, 0, null, cancellationToken);

    /// <summary>Writes object bytes [offsetBytes, offsetBytes + countBytes) to <paramref name="destination"/>.</summary>
    /// <param name="shards">k + m entries, shard i at index i; null for a shard that is not
    /// available. Streams are read, seeked when they can seek (otherwise read forward only), and
    /// not disposed.</param>
    /// <param name="destination">Receives exactly the requested bytes, in order.</param>
    /// <param name="offsetBytes">First object byte to return.</param>
    /// <param name="countBytes">How many bytes; null for up to the end of the object.</param>
    /// <param name="cancellationToken">Passed to every shard read and destination write.</param>
    /// <returns>Bytes written and the faults worked around (bad shards to heal).</returns>
    /// <exception cref="ShardLossException">Fewer than k usable blocks in a stripe the range
    /// needs (or no readable header at all); the message names every bad shard. Nothing wrong is
    /// ever written: bytes before the failing stripe may already have been written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range lies outside the object.</exception>
    public async Task<StripeReadResult> ReadAsync(
        IReadOnlyList<Stream?> shards, Stream destination, long offsetBytes, long? countBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(destination);
        var n = _codec.TotalShards;
        var k = _codec.DataShards;
        if (shards.Count != n)
        {
            throw new ArgumentException($"Expected {n} shard entries, got {shards.Count}.", nameof(shards));
        }
        var faults = new List<ShardFault>();
        var (cursors, header) = await OpenShardsAsync(shards, faults, cancellationToken).ConfigureAwait(false);

        var length = header.ObjectLengthBytes;
        ArgumentOutOfRangeException.ThrowIfNegative(offsetBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offsetBytes, length);
        var count = countBytes ?? length - offsetBytes;
        ArgumentOutOfRangeException.ThrowIfNegative(count, nameof(countBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, length - offsetBytes, nameof(countBytes));
        if (count == 0)
        {
            return new StripeReadResult(0, faults);
        }

        var end = offsetBytes + count;
        var firstStripe = offsetBytes / header.StripeDataBytes;
        var lastStripe = (end - 1) / header.StripeDataBytes;
        var present = new bool[n];
        var tried = new bool[n];
        using var stripe = new StripeBuffer(n, header.BlockSizeBytes);
        for (var s = firstStripe; s <= lastStripe; s++)
        {
            var blockBytes = header.BlockBytes(s);
            var stripeStart = s * header.StripeDataBytes;
            var low = Math.Max(offsetBytes, stripeStart) - stripeStart;
            var high = Math.Min(end, stripeStart + header.StripeBytes(s)) - stripeStart;
            var firstNeeded = (int)(low / blockBytes);
            var lastNeeded = (int)((high - 1) / blockBytes);
            Array.Clear(present);
            Array.Clear(tried);

            // The data blocks the range needs, read in parallel; when one is bad, more shards
            // (data first, then parity) until k good blocks can rebuild it.
            var needed = new List<int>(lastNeeded - firstNeeded + 1);
            for (var i = firstNeeded; i <= lastNeeded; i++)
            {
                needed.Add(i);
            }
            var good = await GatherAsync(cursors, needed, 0, header, s, blockBytes, stripe, tried, present, faults, cancellationToken).ConfigureAwait(false);
            if (good < needed.Count)
            {
                good += await GatherAsync(cursors, [], k - good, header, s, blockBytes, stripe, tried, present, faults, cancellationToken).ConfigureAwait(false);
                if (good < k)
                {
                    throw Loss($"Stripe {s} has only {good} usable blocks of the {k} needed.", faults, s);
                }
                stripe.Reconstruct(_codec, blockBytes, present, dataOnly: true);
            }

            for (var i = firstNeeded; i <= lastNeeded; i++)
            {
                var from = Math.Max(low, (long)i * blockBytes);
                var to = Math.Min(high, (long)(i + 1) * blockBytes);
                var start = (int)(from - (long)i * blockBytes);
                await destination.WriteAsync(stripe.Region(i, blockBytes).Slice(start, (int)(to - from)), cancellationToken).ConfigureAwait(false);
            }
        }
        return new StripeReadResult(count, faults);
    }

    /// <summary>Rebuilds the complete files of several shards at once, stripe by stripe, for healing
    /// damage spread over more than m shard files: each stripe needs only k good blocks of its own,
    /// wherever they are, so bad blocks in different stripes of different shards (more than m bad
    /// blocks in total, at most m in any stripe) are all repaired.</summary>
    /// <param name="shards">k + m entries as for ReadAsync, the targets' current files included: a
    /// target's blocks that pass their checksum are used like any other (and written unchanged);
    /// null for a shard whose file is missing or must not be read at all.</param>
    /// <param name="shardIndices">The shards to write, distinct, each 0 … k + m − 1.</param>
    /// <param name="destinations">One per entry of <paramref name="shardIndices"/>: receives that
    /// shard's new file from its current position; not flushed or disposed.</param>
    /// <param name="cancellationToken">Passed to every shard read and destination write.</param>
    /// <returns>Bytes written per destination (one shard file's length) and every fault found on the
    /// way, the targets' own included.</returns>
    /// <exception cref="ShardLossException">A stripe has fewer than k usable blocks; the
    /// destinations then hold a partial file and must be discarded.</exception>
    public async Task<StripeReadResult> RebuildShardsAsync(
        IReadOnlyList<Stream?> shards, IReadOnlyList<int> shardIndices, IReadOnlyList<Stream> destinations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(shardIndices);
        ArgumentNullException.ThrowIfNull(destinations);
        var n = _codec.TotalShards;
        var k = _codec.DataShards;
        if (shards.Count != n)
        {
            throw new ArgumentException($"Expected {n} shard entries, got {shards.Count}.", nameof(shards));
        }
        if (destinations.Count != shardIndices.Count)
        {
            throw new ArgumentException($"Expected {shardIndices.Count} destinations, got {destinations.Count}.", nameof(destinations));
        }
        foreach (var index in shardIndices)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index, nameof(shardIndices));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, n, nameof(shardIndices));
        }
        if (shardIndices.Distinct().Count() != shardIndices.Count)
        {
            throw new ArgumentException("A shard index appears twice.", nameof(shardIndices));
        }
        var faults = new List<ShardFault>();
        var (cursors, header) = await OpenShardsAsync(shards, faults, cancellationToken).ConfigureAwait(false);

        var headerBytes = new byte[ShardHeader.SizeBytes];
        for (var t = 0; t < shardIndices.Count; t++)
        {
            (header with { ShardIndex = shardIndices[t] }).Write(headerBytes);
            await destinations[t].WriteAsync(headerBytes, cancellationToken).ConfigureAwait(false);
        }

        var present = new bool[n];
        var tried = new bool[n];
        using var stripe = new StripeBuffer(n, header.BlockSizeBytes);
        for (long s = 0; s < header.StripeCount; s++)
        {
            var blockBytes = header.BlockBytes(s);
            Array.Clear(present);
            Array.Clear(tried);
            var good = await GatherAsync(cursors, [], k, header, s, blockBytes, stripe, tried, present, faults, cancellationToken).ConfigureAwait(false);
            if (good < k)
            {
                throw Loss($"Stripe {s} has only {good} usable blocks of the {k} needed.", faults, s);
            }
            stripe.Reconstruct(_codec, blockBytes, present, dataOnly: false);
            for (var t = 0; t < shardIndices.Count; t++)
            {
                var region = stripe.Region(shardIndices[t], blockBytes + 4);
                BinaryPrimitives.WriteUInt32LittleEndian(region.Span[blockBytes..], ShardHeader.BlockChecksum(region.Span[..blockBytes], s));
                await destinations[t].WriteAsync(region, cancellationToken).ConfigureAwait(false);
            }
        }
        return new StripeReadResult(header.FileLengthBytes, faults);
    }

    // Reads the blocks of `batch` in parallel (one stream each), then, while fewer than
    // `topUp` more of them are good, the next untried shards in index order. Returns how many
    // good blocks it read; marks them in `present` and every shard it asked in `tried`.
    private async Task<int> GatherAsync(
        ShardCursor[] cursors, List<int> batch, int topUp, ShardHeader layout, long stripe, int blockBytes,
        StripeBuffer buffer, bool[] tried, bool[] present, List<ShardFault> faults, CancellationToken cancellationToken)
    {
        var good = 0;
        var first = true;
        while (true)
        {
            if (!first || batch.Count == 0)
            {
                batch = [];
                for (var i = 0; i < cursors.Length && batch.Count < topUp - good; i++)
                {
                    if (!tried[i])
                    {
                        batch.Add(i);
                    }
                }
            }
            first = false;
            if (batch.Count == 0)
            {
                return good;
            }
            var reads = new Task<bool>[batch.Count];
            for (var r = 0; r < batch.Count; r++)
            {
                tried[batch[r]] = true;
                reads[r] = ReadBlockAsync(cursors[batch[r]], layout, stripe, blockBytes, buffer, faults, cancellationToken);
            }
            await Task.WhenAll(reads).ConfigureAwait(false);
            for (var r = 0; r < batch.Count; r++)
            {
                present[batch[r]] = reads[r].Result;
                good += reads[r].Result ? 1 : 0;
            }
            if (good >= topUp)
            {
                return good;
            }
        }
    }

    // Reads and checks a shard's header once. Returns it when valid and consistent with the
    // expected layout (or, without one, with the codec); otherwise records a fault.
    /// <summary>A cursor per shard, and the layout from the first valid header, data shards first.</summary>
    private async Task<(ShardCursor[] Cursors, ShardHeader Header)> OpenShardsAsync(IReadOnlyList<Stream?> shards, List<ShardFault> faults, CancellationToken cancellationToken)
    {
        var cursors = new ShardCursor[shards.Count];
        for (var i = 0; i < cursors.Length; i++)
        {
            cursors[i] = new ShardCursor(i, shards[i]);
        }
        ShardHeader? layout = null;
        for (var i = 0; i < cursors.Length && layout is null; i++)
        {
            layout = await OpenAsync(cursors[i], null, faults, cancellationToken).ConfigureAwait(false);
        }
        return layout is ShardHeader header ? (cursors, header) : throw Loss("No shard has a readable header.", faults, null);
    }

    private async Task<ShardHeader?> OpenAsync(ShardCursor cursor, ShardHeader? expected, List<ShardFault> faults, CancellationToken cancellationToken)
    {
        if (cursor.HeaderRead)
        {
            return cursor.Header;
        }
        cursor.HeaderRead = true;
        if (cursor.Stream is null)
        {
            Fail(cursor, ShardFaultKind.Missing, null, $"Shard {cursor.Index} is not available.", faults);
            return null;
        }
        var bytes = new byte[ShardHeader.SizeBytes];
        int read;
        try
        {
            if (cursor.Stream.CanSeek)
            {
                cursor.Stream.Seek(0, SeekOrigin.Begin);
            }
            read = await cursor.Stream.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            cursor.Position = read;
        }
        catch (IOException error)
        {
            Fail(cursor, ShardFaultKind.ReadError, null, $"Shard {cursor.Index}: reading the header failed: {error.Message}", faults);
            return null;
        }
        var problem = ShardHeader.TryRead(bytes.AsSpan(0, read), out var header);
        if (problem is not null)
        {
            Fail(cursor, read < ShardHeader.SizeBytes ? ShardFaultKind.Truncated : ShardFaultKind.HeaderInvalid, null,
                $"Shard {cursor.Index}: {problem}.", faults);
            return null;
        }
        var mismatch =
            header.ShardIndex != cursor.Index ? $"its header says it is shard {header.ShardIndex}"
            : header.DataShards != _codec.DataShards || header.ParityShards != _codec.ParityShards
                ? $"its header says {header.DataShards}+{header.ParityShards}, the codec is {_codec.DataShards}+{_codec.ParityShards}"
            : expected is ShardHeader e && (e.BlockSizeBytes != header.BlockSizeBytes || e.ObjectLengthBytes != header.ObjectLengthBytes)
                ? $"its header says block size {header.BlockSizeBytes} and length {header.ObjectLengthBytes}, other shards say {e.BlockSizeBytes} and {e.ObjectLengthBytes}"
            : null;
        if (mismatch is not null)
        {
            Fail(cursor, ShardFaultKind.HeaderMismatch, null, $"Shard {cursor.Index}: {mismatch}.", faults);
            return null;
        }
        if (cursor.Stream.CanSeek && cursor.Stream.Length < header.FileLengthBytes)
        {
            // Still usable for the blocks it has in full; reported once so it gets healed.
            Record(faults, new ShardFault(cursor.Index, ShardFaultKind.Truncated, null,
                $"Shard {cursor.Index} is {cursor.Stream.Length} bytes, {header.FileLengthBytes} expected."));
        }
        cursor.Header = header;
        return header;
    }

    // Reads block `stripe` of a shard into its region of the stripe buffer and checks it.
    private async Task<bool> ReadBlockAsync(
        ShardCursor cursor, ShardHeader layout, long stripe, int blockBytes, StripeBuffer buffer, List<ShardFault> faults, CancellationToken cancellationToken)
    {
        if (!cursor.HeaderRead)
        {
            await OpenAsync(cursor, layout, faults, cancellationToken).ConfigureAwait(false);
        }
        if (cursor.Dead || cursor.Stream is not Stream stream)
        {
            return false;
        }
        var offset = layout.BlockOffset(stripe);
        var region = buffer.Region(cursor.Index, blockBytes + 4);
        try
        {
            if (stream.CanSeek)
            {
                stream.Seek(offset, SeekOrigin.Begin);
            }
            else if (!await SkipForwardAsync(cursor, offset, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
            var read = await stream.ReadAtLeastAsync(region, region.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            cursor.Position = offset + read;
            if (read < region.Length)
            {
                Fail(cursor, ShardFaultKind.Truncated, stripe,
                    $"Shard {cursor.Index} ends inside stripe {stripe} (at byte {offset + read}, {offset + region.Length} needed).", faults);
                return false;
            }
        }
        catch (IOException error)
        {
            Fail(cursor, ShardFaultKind.ReadError, stripe, $"Shard {cursor.Index}: reading stripe {stripe} failed: {error.Message}", faults);
            return false;
        }
        ReadOnlySpan<byte> block = region.Span;
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(block[blockBytes..]);
        if (stored != ShardHeader.BlockChecksum(block[..blockBytes], stripe))
        {
            Record(faults, new ShardFault(cursor.Index, ShardFaultKind.ChecksumMismatch, stripe,
                $"Shard {cursor.Index}: the block of stripe {stripe} fails its CRC-32C."));
            return false;
        }
        return true;
    }

    private static async Task<bool> SkipForwardAsync(ShardCursor cursor, long offset, CancellationToken cancellationToken)
    {
        if (offset < cursor.Position)
        {
            // A forward-only stream cannot go back; treat the shard as unavailable for this read.
            cursor.Dead = true;
            return false;
        }
        var scratch = new byte[Math.Min(64 * 1024, Math.Max(1, offset - cursor.Position))];
        while (cursor.Position < offset)
        {
            var want = (int)Math.Min(scratch.Length, offset - cursor.Position);
            var read = await cursor.Stream!.ReadAsync(scratch.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return true; // The block read that follows reports the truncation.
            }
            cursor.Position += read;
        }
        return true;
    }

    private static void Fail(ShardCursor cursor, ShardFaultKind kind, long? stripe, string detail, List<ShardFault> faults)
    {
        cursor.Dead = true;
        Record(faults, new ShardFault(cursor.Index, kind, stripe, detail));
    }

    // Blocks of one stripe are read in parallel, so faults may be recorded concurrently.
    private static void Record(List<ShardFault> faults, ShardFault fault)
    {
        lock (faults)
        {
            faults.Add(fault);
        }
    }

    private static ShardLossException Loss(string summary, List<ShardFault> faults, long? stripe)
    {
        var relevant = faults.Where(f => f.Stripe is null || f.Stripe == stripe).ToList();
        var bad = relevant.Select(f => f.ShardIndex).Distinct().Order().ToArray();
        var details = string.Join(" ", relevant.Select(f => f.Detail));
        return new ShardLossException($"{summary} Bad shards: {string.Join(", ", bad)}. {details}", bad);
    }
}
