using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Shards;

/// One stripe in memory: for each shard a 64-byte-aligned region holding its block followed by
/// the 4-byte checksum, so that one write puts a block and its checksum in the file.
internal sealed unsafe class StripeBuffer : IDisposable
{
    private readonly byte[] _buffer;
    private readonly int _alignOffset;
    private readonly int _stride;
    private readonly byte* _start;

    public StripeBuffer(int shardCount, int blockSizeBytes)
    {
        ShardCount = shardCount;
        _stride = (blockSizeBytes + 4 + 63) & ~63;
        _buffer = PinnedBufferPool.Shared.Rent(checked(shardCount * _stride + 64));
        // The buffer is on the pinned object heap: its address never changes.
        fixed (byte* raw = _buffer)
        {
            _alignOffset = (int)((64 - ((nint)raw & 63)) & 63);
            _start = raw + _alignOffset;
        }
    }

    public int ShardCount { get; }

    public Memory<byte> Region(int shard, int length) => _buffer.AsMemory(_alignOffset + shard * _stride, length);

    public Span<byte> Span(int shard, int length) => _buffer.AsSpan(_alignOffset + shard * _stride, length);

    /// Moves the first <paramref name="stripeBytes"/> object bytes of a stripe, buffered in the
    /// full-stripe layout (data block i holds bytes [i × fullBlockBytes, …)), into the last-stripe
    /// layout of docs/erasure-format.md: data block i holds bytes [i × blockBytes, …), zero-padded.
    public void Respread(int dataShards, int fullBlockBytes, int stripeBytes, int blockBytes)
    {
        // In place, last block first: block i's bytes lie at or before where block i goes
        // (i × blockBytes ≤ i × fullBlockBytes), and every earlier block's bytes lie before
        // region i, so nothing is overwritten before it has been moved. Within a block, the
        // piece from the highest region moves first, as it may overlap its own destination.
        for (var i = dataShards - 1; i >= 0; i--)
        {
            var from = i * blockBytes;
            var count = Math.Clamp(stripeBytes - from, 0, blockBytes);
            var target = Span(i, blockBytes);
            var left = count;
            while (left > 0)
            {
                var region = (from + left - 1) / fullBlockBytes;
                var regionStart = region * fullBlockBytes;
                var pieceStart = Math.Max(from, regionStart);
                var pieceBytes = from + left - pieceStart;
                Span(region, fullBlockBytes).Slice(pieceStart - regionStart, pieceBytes).CopyTo(target[(pieceStart - from)..]);
                left -= pieceBytes;
            }
            target[count..].Clear();
        }
    }

    public void Encode(ReedSolomonCodec codec, int blockBytes)
    {
        var pointers = stackalloc byte*[ShardCount];
        Lay(pointers);
        codec.EncodeCore(pointers, blockBytes);
    }

    public void Reconstruct(ReedSolomonCodec codec, int blockBytes, ReadOnlySpan<bool> present, bool dataOnly)
    {
        var pointers = stackalloc byte*[ShardCount];
        Lay(pointers);
        codec.ReconstructCore(pointers, blockBytes, present, dataOnly);
    }

    public void Dispose() => PinnedBufferPool.Shared.Return(_buffer);

    private void Lay(byte** pointers)
    {
        for (var i = 0; i < ShardCount; i++)
        {
            pointers[i] = _start + (nint)i * _stride;
        }
    }
}
