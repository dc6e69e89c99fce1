using System.Collections.Concurrent;
using System.Security.Cryptography;
using CloudSecReq.Kms;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>
/// Keeps the HSM off the hot path (the S3 Bucket Key idea): a bucket key is generated under the
/// tenant key in the HSM once per bucket, KMS key and <see cref="Lifetime"/>, and wraps per-object
/// data keys in software. Unwrapped keys (bucket keys, and data keys of objects without bucket keys)
/// are cached by their wrapped form for reads. Entries live in pinned memory and are zeroed when
/// they expire or when their KMS key changes state (<see cref="Purge"/>). Callers get copies that
/// they dispose. Thread-safe.
/// The cache holds key material, never decisions: entries are shared by the tenant's principals, so
/// every lease, hit or miss, is first authorised for the calling principal
/// (<c>KmsDataKeys.AuthorizeUse</c>: the key policy and the key's state from memory, no HSM call, no
/// SQL). Issue 11: a user the key policy denies read SSE-KMS objects for the cache lifetime after
/// another user had warmed the cache, and a changed key policy was not seen until then.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The SemaphoreSlim is used only through WaitAsync/Release and so holds no wait handle; the cache lives as long as the process.")]
internal sealed class BucketKeyCache(KmsService kms, TimeProvider clock, TimeSpan lifetime)
{
    private sealed class Entry(PinnedKey key, byte[] wrapped, string keyArn, DateTimeOffset expires)
    {
        private int _evicted;

        public PinnedKey Key { get; } = key;
        public byte[] Wrapped { get; } = wrapped;
        public string KeyArn { get; } = keyArn;
        public DateTimeOffset Expires { get; } = expires;

        /// <summary>
        /// A copy of the key, or null once the entry was evicted. Lock-free, as it is on every SSE PUT and GET: copy,
        /// full fence, then check the flag. <see cref="Evict"/> sets the flag (full fence) before zeroing, so a copy
        /// that saw any zeroed byte also sees the flag and is discarded.
        /// </summary>
        public PinnedKey? Lease()
        {
            if (Volatile.Read(ref _evicted) != 0)
            {
                return null;
            }
            PinnedKey copy;
            try
            {
                copy = PinnedKey.Copy(Key.Bytes);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _evicted) != 0)
            {
                copy.Dispose();
                return null;
            }
            return copy;
        }

        public void Evict()
        {
            if (Interlocked.Exchange(ref _evicted, 1) == 0)
            {
                Key.Dispose();
            }
        }
    }

    private readonly ConcurrentDictionary<(string Tenant, string Bucket, string KeyArn), Entry> _forWrite = new();
    private readonly ConcurrentDictionary<(string Tenant, string WrappedHash), Entry> _forRead = new();
    private readonly SemaphoreSlim _generating = new(1, 1);
    private long _kmsCalls;
    private long _hits;
    private long _kmsCallTicks;

    public TimeSpan Lifetime => lifetime;

    /// <summary>How many times the S3 path called the KMS (each is one HSM operation).</summary>
    public long KmsCalls => Interlocked.Read(ref _kmsCalls);

    /// <summary>How many key requests the cache answered from memory, without the HSM.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Time spent in the KMS calls counted by <see cref="KmsCalls"/> (HSM latency: the mean is this over the count; read by /metrics).</summary>
    public TimeSpan KmsCallTime => TimeSpan.FromTicks(Interlocked.Read(ref _kmsCallTicks));

    /// <summary>Makes a KMS call of the S3 path, counted and timed (the cache's own misses, and SSE-KMS without a bucket key).</summary>
    public T CallKms<T>(Func<T> call)
    {
        Interlocked.Increment(ref _kmsCalls);
        var started = clock.GetTimestamp();
        try
        {
            return call();
        }
        finally
        {
            Interlocked.Add(ref _kmsCallTicks, clock.GetElapsedTime(started).Ticks);
        }
    }

    public static IReadOnlyDictionary<string, string> BucketContext(string bucket) =>
        new Dictionary<string, string> { ["aws:s3:arn"] = "arn:aws:s3:::" + bucket };

    /// <summary>The current bucket key for writing under <paramref name="keyArn"/>, generating one in the HSM when there is none (or it expired).</summary>
    public async Task<(PinnedKey Key, byte[] Wrapped)> ForWriteAsync(KmsCaller caller, string bucket, string keyArn, CancellationToken ct)
    {
        kms.DataKeys.AuthorizeUse(caller, keyArn, "kms:GenerateDataKey");
        var id = (caller.TenantId, bucket, keyArn);
        if (TryLease(_forWrite, id) is { } hit)
        {
            Interlocked.Increment(ref _hits);
            return hit;
        }
        await _generating.WaitAsync(ct);
        try
        {
            if (TryLease(_forWrite, id) is { } raced)
            {
                return raced;
            }
            var dataKey = CallKms(() => kms.DataKeys.GenerateDataKey(caller, keyArn, BucketContext(bucket)));
            var expires = clock.GetUtcNow() + lifetime;
            using var plaintext = PinnedKey.Take(dataKey.Plaintext);
            // Each map owns its own copy, so that evicting from one never zeroes the other's.
            Replace(_forWrite, id, new Entry(PinnedKey.Copy(plaintext.Bytes), dataKey.CiphertextBlob, keyArn, expires));
            Replace(_forRead, (caller.TenantId, Hash(dataKey.CiphertextBlob)), new Entry(PinnedKey.Copy(plaintext.Bytes), dataKey.CiphertextBlob, keyArn, expires));
            return (PinnedKey.Copy(plaintext.Bytes), dataKey.CiphertextBlob);
        }
        finally
        {
            _generating.Release();
        }
    }

    /// <summary>
    /// Unwraps a KMS ciphertext blob (a bucket key or a data key) with its context, from the cache when possible.
    /// Synchronous: a hit is memory only, a miss one HSM operation on the calling thread.
    /// </summary>
    public PinnedKey Unwrap(KmsCaller caller, byte[] wrapped, IReadOnlyDictionary<string, string> context)
    {
        kms.DataKeys.AuthorizeUse(caller, wrapped, "kms:Decrypt");
        var id = (caller.TenantId, Hash(wrapped));
        if (TryLease(_forRead, id) is { } hit)
        {
            Interlocked.Increment(ref _hits);
            return hit.Key;
        }
        var plaintext = CallKms(() => kms.DataKeys.Decrypt(caller, wrapped, context));
        var keyArn = kms.DataKeys.KeyArnOf(caller, wrapped) ?? "";
        using var key = PinnedKey.Take(plaintext);
        Replace(_forRead, id, new Entry(PinnedKey.Copy(key.Bytes), wrapped, keyArn, clock.GetUtcNow() + lifetime));
        return PinnedKey.Copy(key.Bytes);
    }

    /// <summary>Forgets (and zeroes) every key that depends on <paramref name="keyArn"/>: called when that KMS key changes state.</summary>
    public void Purge(string keyArn)
    {
        foreach (var (k, e) in _forWrite)
        {
            if (e.KeyArn == keyArn && _forWrite.TryRemove(k, out _))
            {
                e.Evict();
            }
        }
        foreach (var (k, e) in _forRead)
        {
            if (e.KeyArn == keyArn && _forRead.TryRemove(k, out _))
            {
                e.Evict();
            }
        }
    }

    private (PinnedKey Key, byte[] Wrapped)? TryLease<TKey>(ConcurrentDictionary<TKey, Entry> map, TKey id) where TKey : notnull
    {
        if (!map.TryGetValue(id, out var entry))
        {
            return null;
        }
        if (entry.Expires <= clock.GetUtcNow())
        {
            if (map.TryRemove(new KeyValuePair<TKey, Entry>(id, entry)))
            {
                entry.Evict();
            }
            return null;
        }
        return entry.Lease() is { } key ? (key, entry.Wrapped) : null;
    }

    private void Replace<TKey>(ConcurrentDictionary<TKey, Entry> map, TKey id, Entry entry) where TKey : notnull
    {
        Entry? old = null;
        map.AddOrUpdate(id, entry, (_, existing) =>
        {
            old = existing;
            return entry;
        });
        old?.Evict();
        if (map.Count > 10_000)
        {
            SweepExpired(map);
        }
    }

    private void SweepExpired<TKey>(ConcurrentDictionary<TKey, Entry> map) where TKey : notnull
    {
        var now = clock.GetUtcNow();
        foreach (var (k, e) in map)
        {
            if (e.Expires <= now && map.TryRemove(k, out _))
            {
                e.Evict();
            }
        }
    }

    private static string Hash(byte[] wrapped) => Convert.ToHexString(SHA256.HashData(wrapped));
}
