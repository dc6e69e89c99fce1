using System.Collections.Concurrent;
using System.Numerics;

namespace CloudSecReq.Erasure.Shards;

/// Reuses large pinned (pinned-object-heap) buffers between stripe reads and writes: fresh memory
/// costs a page fault per 4 KiB on first touch, and pinned buffers give the kernels stable pointers.
internal sealed class PinnedBufferPool
{
    private const int MaxPerSize = 8;

    private readonly ConcurrentDictionary<int, ConcurrentBag<byte[]>> _free = new();

    public static PinnedBufferPool Shared { get; } = new();

    public byte[] Rent(int minimumBytes)
    {
        var size = (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)Math.Max(minimumBytes, 4096)), Array.MaxLength);
        if (size < minimumBytes)
        {
            size = minimumBytes;
        }
        if (_free.TryGetValue(size, out var bag) && bag.TryTake(out var buffer))
        {
            return buffer;
        }
        return GC.AllocateUninitializedArray<byte>(size, pinned: true);
    }

    public void Return(byte[] buffer)
    {
        var bag = _free.GetOrAdd(buffer.Length, _ => new ConcurrentBag<byte[]>());
        if (bag.Count < MaxPerSize)
        {
            bag.Add(buffer);
        }
    }
}
