using CloudSecReq.Kms.Keys;

namespace CloudSecReq.Kms.Tests.Keys;

public sealed class LruCacheTests
{
    [Fact]
    public void GetOrAdd_BeyondCapacity_StaysBoundedAndKeepsRecentlyUsed()
    {
        var cache = new LruCache<int, string>(8);
        for (var i = 0; i < 8; i++)
        {
            cache.GetOrAdd(i, k => k.ToString());
        }

        cache.GetOrAdd(0, _ => throw new InvalidOperationException("a hit must not create")); // 0 is now the newest
        for (var i = 100; i < 1000; i++)
        {
            cache.GetOrAdd(i, k => k.ToString());
            Assert.True(cache.Count <= cache.Capacity);
            cache.GetOrAdd(0, k => k.ToString()); // kept in use, never evicted
            Assert.True(cache.Contains(0));
        }

        Assert.False(cache.Contains(1));
        Assert.True(cache.Contains(999));
    }

    [Fact]
    public void GetOrAdd_CreateThrows_CachesNothing()
    {
        var cache = new LruCache<string, string>(2);
        Assert.Throws<FormatException>(() => cache.GetOrAdd("x", _ => throw new FormatException()));
        Assert.Equal(0, cache.Count);
    }
}
