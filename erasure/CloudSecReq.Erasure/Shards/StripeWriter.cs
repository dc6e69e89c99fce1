using System.Buffers.Binary;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Shards;

/// Cuts an object into stripes of k blocks, encodes each stripe and writes k + m shard files in
/// the format of docs/erasure-format.md (header, then per stripe a block and its CRC-32C).
/// An instance holds no per-object state and may be shared between threads.
public sealed class StripeWriter
{
    private readonly ReedSolomonCodec _codec;

    /// <param name="codec">The code to use; its k and m go into every shard header.</param>
    /// <param name="blockSizeBytes">Bytes per shard per stripe (e.g. 1 MiB); at least 1.</param>
    public StripeWriter(ReedSolomonCodec codec, int blockSizeBytes)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSizeBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockSizeBytes, 256 * 1024 * 1024);
        _codec = codec;
        BlockSizeBytes = blockSizeBytes;
    }

    /// Bytes per shard block in full stripes.
    public int BlockSizeBytes { get; }

    /// <summary>Reads exactly <paramref name="objectLengthBytes"/> from <paramref name="source"/> and
    /// writes one shard file to each of <paramref name="shards"/> (index i gets shard i).</summary>
    /// <remarks>The shard streams are written sequentially from their current position and are not
    /// flushed or disposed: the caller owns them and decides when they are durable.</remarks>
    /// <exception cref="EndOfStreamException">The source ended before objectLengthBytes.</exception>
    /// <exception cref="InvalidDataException">The source holds more than objectLengthBytes.</exception>
    public async Task WriteAsync(Stream source, long objectLengthBytes, IReadOnlyList<Stream> shards, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentOutOfRangeException.ThrowIfNegative(objectLengthBytes);
        if (shards.Count != _codec.TotalShards)
        {
            throw new ArgumentException($"Expected {_codec.TotalShards} shard streams, got {shards.Count}.", nameof(shards));
        }
        int n = _codec.TotalShards;
        int k = _codec.DataShards;
        var layout = new ShardHeader(k, _codec.ParityShards, 0, BlockSizeBytes, objectLengthBytes);
        var writes = new Task[n];

        byte[] headers = new byte[n * ShardHeader.SizeBytes];
        for (int i = 0; i < n; i++)
        {
            (layout with { ShardIndex = i }).Write(headers.AsSpan(i * ShardHeader.SizeBytes));
            writes[i] = shards[i].WriteAsync(headers.AsMemory(i * ShardHeader.SizeBytes, ShardHeader.SizeBytes), cancellationToken).AsTask();
        }
        await Task.WhenAll(writes).ConfigureAwait(false);

        using var stripe = new StripeBuffer(n, BlockSizeBytes);
        for (long s = 0; s < layout.StripeCount; s++)
        {
            int blockBytes = layout.BlockBytes(s);
            long stripeBytes = layout.StripeBytes(s);
            for (int i = 0; i < k; i++)
            {
                int take = (int)Math.Clamp(stripeBytes - (long)i * blockBytes, 0, blockBytes);
                await source.ReadExactlyAsync(stripe.Region(i, take), cancellationToken).ConfigureAwait(false);
                stripe.Span(i, blockBytes)[take..].Clear();
            }
            stripe.Encode(_codec, blockBytes);
            for (int i = 0; i < n; i++)
            {
                Span<byte> region = stripe.Span(i, blockBytes + 4);
                BinaryPrimitives.WriteUInt32LittleEndian(region[blockBytes..], ShardHeader.BlockChecksum(region[..blockBytes], s));
            }
            for (int i = 0; i < n; i++)
            {
                writes[i] = shards[i].WriteAsync(stripe.Region(i, blockBytes + 4), cancellationToken).AsTask();
            }
            await Task.WhenAll(writes).ConfigureAwait(false);
        }

        byte[] probe = new byte[1];
        if (await source.ReadAsync(probe, cancellationToken).ConfigureAwait(false) > 0)
        {
            throw new InvalidDataException($"The source holds more than the declared {objectLengthBytes} bytes.");
        }
    }
}
