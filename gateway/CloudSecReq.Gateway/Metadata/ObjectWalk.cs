using System.Runtime.CompilerServices;

namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// Every object of every bucket of every tenant, one metadata page at a time: buckets in ordinal
/// order of their names, objects in key order. Resumable: start after a (bucket, key) position.
/// Objects written or deleted during the walk may or may not be seen.
/// </summary>
internal static class ObjectWalk
{
    public const int PageSize = 256;

    /// <param name="after">Resume after this object (its bucket, then keys after it); null to start at the beginning.</param>
    public static async IAsyncEnumerable<ObjectRecord> AllAsync(IMetadataStore store, (string Bucket, string Key)? after, [EnumeratorCancellation] CancellationToken ct)
    {
        var buckets = new List<string>();
        foreach (var tenant in await store.ListTenantsAsync(ct))
        {
            buckets.AddRange((await store.ListBucketsAsync(tenant.Id, ct)).Select(b => b.Name));
        }
        buckets.Sort(StringComparer.Ordinal);
        foreach (var bucket in buckets)
        {
            string? startAfter = null;
            if (after is { } position)
            {
                var order = string.CompareOrdinal(bucket, position.Bucket);
                if (order < 0)
                {
                    continue;
                }
                if (order == 0)
                {
                    startAfter = position.Key;
                }
            }
            await foreach (var record in InBucketAsync(store, bucket, startAfter, ct))
            {
                yield return record;
            }
        }
    }

    /// <summary>Every object of one bucket in key order, after <paramref name="startAfter"/> (null: from the first).</summary>
    public static async IAsyncEnumerable<ObjectRecord> InBucketAsync(IMetadataStore store, string bucket, string? startAfter, [EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            var page = await store.ListObjectsAsync(bucket, "", startAfter, PageSize, ct);
            foreach (var record in page.Items)
            {
                yield return record;
            }
            if (!page.IsTruncated || page.Items.Count == 0)
            {
                yield break;
            }
            startAfter = page.Items[^1].Key;
        }
    }
}
