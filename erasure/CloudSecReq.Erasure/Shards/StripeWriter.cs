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
    /// <remarks>The shard streams are written sequentially from their current position (they need
    /// not be seekable) and are not flushed or disposed: the caller owns them and decides when they
    /// are durable. For a length not known in advance, use <see cref="StripeWritingStream"/>.</remarks>
    /// <exception cref="EndOfStreamException">The source ended before objectLengthBytes.</exception>
    /// <exception cref="InvalidDataException">The source holds more than objectLengthBytes.</exception>
    /// <exception cref="ArgumentException">Not k + m shard streams, or one is null or not writable.</exception>
    public async Task WriteAsync(Stream source, long objectLengthBytes, IReadOnlyList<Stream> shards, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(objectLengthBytes);
        // With the length declared, the stream writes the final headers first and never seeks.
        using (var stripes = new StripeWritingStream(_codec, BlockSizeBytes, shards, objectLengthBytes))
        {
            await stripes.FillFromAsync(source, cancellationToken).ConfigureAwait(false);
            await stripes.FinishAsync(cancellationToken).ConfigureAwait(false);
        }

        var probe = new byte[1];
        if (await source.ReadAsync(probe, cancellationToken).ConfigureAwait(false) > 0)
        {
            throw new InvalidDataException($"The source holds more than the declared {objectLengthBytes} bytes.");
        }
    }
}
