using System.Collections.Concurrent;

namespace CloudSecReq.Kms.Keys;

/// A cache of at most <see cref="Capacity"/> entries that forgets the least recently used first. Hits take no lock
/// (a dictionary read and one interlocked stamp); a miss that overflows the capacity sorts the entries once under a
/// lock and drops the oldest quarter. Values must be immutable: they are shared by every caller. Thread safe.
internal sealed class LruCache<TKey, TValue>(int capacity, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private sealed class Slot(TValue value, long lastUse)
    {
        public readonly TValue Value = value;
        public long LastUse = lastUse;
    }

    private readonly ConcurrentDictionary<TKey, Slot> _slots = new(comparer);
    private readonly Lock _evicting = new();
    private long _clock;

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    public int Count => _slots.Count;

    public bool Contains(TKey key) => _slots.ContainsKey(key);

    /// The cached value for <paramref name="key"/>, else <paramref name="create"/>'s (which may run more than once for
    /// one key under contention; exceptions propagate and nothing is cached).
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        if (_slots.TryGetValue(key, out var hit))
        {
            Volatile.Write(ref hit.LastUse, Interlocked.Increment(ref _clock));
            return hit.Value;
        }

        var slot = _slots.GetOrAdd(key, new Slot(create(key), Interlocked.Increment(ref _clock)));
        if (_slots.Count > Capacity)
        {
            EvictOldest();
        }

        return slot.Value;
    }

    private void EvictOldest()
    {
        lock (_evicting)
        {
            var excess = _slots.Count - Capacity;
            if (excess <= 0)
            {
                return;
            }

            // Down to three quarters, so that a run of misses sorts once per Capacity/4 inserts, not on each.
            var drop = excess + (Capacity / 4);
            foreach (var (key, _) in _slots.OrderBy(p => Volatile.Read(ref p.Value.LastUse)).Take(drop).ToList())
            {
                _slots.TryRemove(key, out _);
            }
        }
    }
}
