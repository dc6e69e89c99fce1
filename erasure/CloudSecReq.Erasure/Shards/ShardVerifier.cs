using System.Buffers;
using System.Buffers.Binary;
using CloudSecReq.Erasure.Checksums;

namespace CloudSecReq.Erasure.Shards;

/// Checks one shard file on its own, for a background scrubber: its header, every block against
/// its CRC-32C (bound to the stripe index), and its exact length (docs/erasure-format.md). Reads
/// sequentially with one bounded buffer, so it works on forward-only streams and never holds a
/// whole block. Stateless and thread-safe.
public static class ShardVerifier
{
    private const int ChunkBytes = 128 * 1024;

    /// <summary>Reads <paramref name="shard"/> from its current position (the start of the shard
    /// file) to its end and reports what is wrong with it.</summary>
    /// <param name="shard">The shard file; read forward only, not seeked, not disposed.</param>
    /// <param name="expectedShardIndex">The index the file should hold (its place in the object's
    /// layout); a valid header naming another index is a <see cref="ShardFaultKind.HeaderMismatch"/>.
    /// Null to accept the header's own index.</param>
    /// <param name="cancellationToken">Stops the scan.</param>
    /// <returns>The header (when valid), the bytes read and the faults, each naming
    /// expectedShardIndex, else the header's index, else -1: <see cref="ShardFaultKind.Truncated"/>
    /// (in the header: stripe null; in a block: that stripe), <see cref="ShardFaultKind.HeaderInvalid"/>,
    /// <see cref="ShardFaultKind.HeaderMismatch"/>, <see cref="ShardFaultKind.ChecksumMismatch"/>
    /// (one per bad block, with its stripe) and <see cref="ShardFaultKind.TrailingBytes"/>. Blocks are
    /// still checked after a HeaderMismatch; nothing is checked after an invalid header.</returns>
    /// <exception cref="IOException">Reading the stream failed; bad bytes never throw.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static async Task<ShardVerifyResult> VerifyAsync(Stream shard, int? expectedShardIndex, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (expectedShardIndex is int expected)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(expected, nameof(expectedShardIndex));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(expected, 255, nameof(expectedShardIndex));
        }
        var faults = new List<ShardFault>();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            var read = await shard.ReadAtLeastAsync(buffer.AsMemory(0, ShardHeader.SizeBytes), ShardHeader.SizeBytes, throwOnEndOfStream: false, cancellationToken)
                .ConfigureAwait(false);
            long position = read;
            var index = expectedShardIndex ?? -1;
            var problem = ShardHeader.TryRead(buffer.AsSpan(0, read), out var header);
            if (problem is not null)
            {
                faults.Add(new ShardFault(index, read < ShardHeader.SizeBytes ? ShardFaultKind.Truncated : ShardFaultKind.HeaderInvalid, null,
                    $"Shard {index}: {problem}."));
                return new ShardVerifyResult(null, position, faults);
            }
            index = expectedShardIndex ?? header.ShardIndex;
            if (header.ShardIndex != index)
            {
                faults.Add(new ShardFault(index, ShardFaultKind.HeaderMismatch, null, $"Shard {index}: its header says it is shard {header.ShardIndex}."));
            }

            for (long stripe = 0; stripe < header.StripeCount; stripe++)
            {
                // The block and its 4 checksum bytes, in pieces of at most ChunkBytes; the last
                // piece always holds the whole checksum.
                var blockBytes = header.BlockBytes(stripe);
                var remaining = blockBytes + 4L;
                var crc = 0xFFFFFFFF;
                uint stored = 0;
                while (remaining > 0)
                {
                    var want = remaining <= ChunkBytes ? (int)remaining : (int)Math.Min(ChunkBytes, remaining - 4);
                    read = await shard.ReadAtLeastAsync(buffer.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                    position += read;
                    if (read < want)
                    {
                        faults.Add(new ShardFault(index, ShardFaultKind.Truncated, stripe,
                            $"Shard {index} ends inside stripe {stripe}: {position} bytes, {header.FileLengthBytes} expected."));
                        return new ShardVerifyResult(header, position, faults);
                    }
                    remaining -= want;
                    var blockPart = remaining == 0 ? want - 4 : want;
                    crc = Crc32C.Update(crc, buffer.AsSpan(0, blockPart));
                    if (remaining == 0)
                    {
                        stored = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(blockPart, 4));
                    }
                }
                if (stored != ShardHeader.FinishBlockChecksum(crc, stripe))
                {
                    faults.Add(new ShardFault(index, ShardFaultKind.ChecksumMismatch, stripe,
                        $"Shard {index}: the block of stripe {stripe} fails its CRC-32C."));
                }
            }

            long trailing = 0;
            while ((read = await shard.ReadAsync(buffer.AsMemory(0, ChunkBytes), cancellationToken).ConfigureAwait(false)) > 0)
            {
                trailing += read;
            }
            position += trailing;
            if (trailing > 0)
            {
                faults.Add(new ShardFault(index, ShardFaultKind.TrailingBytes, null,
                    $"Shard {index} is {position} bytes, {header.FileLengthBytes} expected: {trailing} bytes follow the last block."));
            }
            return new ShardVerifyResult(header, position, faults);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
