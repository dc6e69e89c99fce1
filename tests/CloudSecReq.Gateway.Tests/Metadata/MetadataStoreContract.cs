using System.Text;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;

namespace CloudSecReq.Gateway.Tests.Metadata;

/// <summary>The behaviour every metadata backend must show. Each backend's test class derives from this.</summary>
public abstract class MetadataStoreContract : IAsyncLifetime
{
    private IMetadataStore? _store;
    internal IMetadataStore Store => _store!;

    internal abstract Task<IMetadataStore> OpenAsync();

    public async Task InitializeAsync() => _store = await OpenAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private static readonly DateTimeOffset s_t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    internal static ObjectRecord Obj(string bucket, string key, string blob = "") => new()
    {
        Bucket = bucket, Key = key, Size = 1, ETag = "\"e\"", LastModified = s_t0,
        Segments = [Seg(blob.Length > 0 ? blob : Guid.NewGuid().ToString("N"))],
    };

    private async Task<string> BucketAsync(string tenant = "t1")
    {
        var name = "b" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(BucketCreateResult.Created, await Store.CreateBucketAsync(new Bucket(name, tenant, "us-east-1", s_t0), default));
        return name;
    }

    /// <summary>A one-shard segment on volume v1 whose blob is <paramref name="blobId"/>.</summary>
    internal static DataSegment Seg(string blobId) => new()
    {
        Length = 1, DataShards = 1, ParityShards = 0, BlockBytes = 1, Shards = [new ShardBlob("v1", blobId)],
    };

    [Fact]
    public async Task ConcurrentWrites_SomeFailing_OnlyTheFailingOnesAreLost()
    {
        // Writes that run at once may share a commit (group commit): a failing one must not take the others with it.
        var prefix = "ct" + Guid.NewGuid().ToString("N")[..8];
        var writes = Enumerable.Range(0, 40).Select(i =>
        {
            // Every fourth write reuses the name of the write before it: a unique-constraint failure.
            var name = $"{prefix}-{(i % 4 == 3 ? i - 1 : i)}";
            var tenant = new Tenant($"{prefix}-id{i}", name, $"{prefix}{i:D4}", s_t0);
            return Task.Run(() => Store.CreateTenantAsync(tenant, new User(tenant.Id, "root", true, UserPolicy.FullAccess, s_t0), default));
        }).ToList();
        try
        {
            await Task.WhenAll(writes);
        }
        catch
        {
            // inspected below
        }

        var names = (await Store.ListTenantsAsync(default)).Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(t => t.Name).ToHashSet();
        Assert.Equal(30, names.Count);
        Assert.Equal(40 - 30, writes.Count(w => w.IsFaulted));
        Assert.All(Enumerable.Range(0, 40).Where(i => i % 4 != 3), i => Assert.Contains($"{prefix}-{i}", names));
    }

    [Fact]
    public async Task CreateBucket_SameNameOtherTenant_IsAlreadyExists()
    {
        var b = await BucketAsync("t1");
        Assert.Equal(BucketCreateResult.AlreadyOwnedByYou, await Store.CreateBucketAsync(new Bucket(b, "t1", "us-east-1", s_t0), default));
        Assert.Equal(BucketCreateResult.AlreadyExists, await Store.CreateBucketAsync(new Bucket(b, "t2", "us-east-1", s_t0), default));
    }

    [Fact]
    public async Task ListObjects_Utf8Order_MatchesS3()
    {
        var b = await BucketAsync();
        // UTF-16 ordinal order would put U+FF5E before U+1F600 (a surrogate pair); UTF-8 order does not.
        var keys = new[] { "a", "B", "a/b", "\uFF5E", "\U0001F600", "ab", "a-" };
        foreach (var k in keys)
        {
            await Store.PutObjectAsync(Obj(b, k), default);
        }

        var page = await Store.ListObjectsAsync(b, "", null, 100, default);
        var expected = keys.OrderBy(Encoding.UTF8.GetBytes, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
        Assert.Equal(expected, page.Items.Select(o => o.Key));
        Assert.Equal(["B", "a", "a-", "a/b", "ab", "\uFF5E", "\U0001F600"], expected);
    }

    [Fact]
    public async Task ListObjects_PrefixStartAfterAndLimit_Paginate()
    {
        var b = await BucketAsync();
        foreach (var k in new[] { "p/1", "p/2", "p/3", "q/1", "o" })
        {
            await Store.PutObjectAsync(Obj(b, k), default);
        }

        var first = await Store.ListObjectsAsync(b, "p/", null, 2, default);
        Assert.Equal(["p/1", "p/2"], first.Items.Select(o => o.Key));
        Assert.True(first.IsTruncated);
        var second = await Store.ListObjectsAsync(b, "p/", "p/2", 2, default);
        Assert.Equal(["p/3"], second.Items.Select(o => o.Key));
        Assert.False(second.IsTruncated);
    }

    [Fact]
    public async Task SwapSegment_StoredSegmentUnchanged_ReplacesItAndMarksTheDroppedShardAsGarbage()
    {
        var b = await BucketAsync();
        var record = Obj(b, "k", "blob-a");
        await Store.PutObjectAsync(record with { Tags = [new("t", "v")] }, default);
        var old = record.Segments[0];
        var healed = old with { Shards = [new ShardBlob("v2", "blob-a.0.h1")] };

        Assert.True(await Store.SwapSegmentAsync(b, "k", old, healed, default));

        var stored = (await Store.GetObjectAsync(b, "k", default))!;
        Assert.Equal(healed.Shards, stored.Segments.Single().Shards);
        Assert.Equal([new("t", "v")], stored.Tags);
        var garbage = await Store.ListGarbageAsync(100, default);
        Assert.Contains(new ShardBlob("v1", "blob-a"), garbage);
        Assert.DoesNotContain(garbage, g => g.BlobId == "blob-a.0.h1");
        await Store.ForgetGarbageAsync(garbage, default);
    }

    [Fact]
    public async Task SwapPartSegment_PartUnchanged_ReplacesItAndMarksTheDroppedShardAsGarbage_ElseChangesNothing()
    {
        var b = await BucketAsync();
        var upload = new MultipartUpload { UploadId = "u" + Guid.NewGuid().ToString("N"), Bucket = b, Key = "k", Initiated = s_t0, InitiatorTenantId = "t1", InitiatorUser = "root" };
        await Store.CreateUploadAsync(upload, default);
        var part = new UploadPart(upload.UploadId, 3, 1, "\"e\"", s_t0, null, Seg("part-a"));
        Assert.True(await Store.PutPartAsync(part, default));
        var healed = part.Segment with { Shards = [new ShardBlob("v2", "part-a.0.h1")] };

        Assert.False(await Store.SwapPartSegmentAsync(upload.UploadId, 3, Seg("other"), healed, default));
        Assert.False(await Store.SwapPartSegmentAsync(upload.UploadId, 4, part.Segment, healed, default));
        Assert.True(await Store.SwapPartSegmentAsync(upload.UploadId, 3, part.Segment, healed, default));

        Assert.Equal(healed.Shards, (await Store.ListPartsAsync(upload.UploadId, 0, 10, default)).Items.Single().Segment.Shards);
        var garbage = await Store.ListGarbageAsync(100, default);
        Assert.Contains(new ShardBlob("v1", "part-a"), garbage);
        await Store.ForgetGarbageAsync(garbage, default);
        Assert.True(await Store.AbortUploadAsync(b, upload.UploadId, default));
        Assert.False(await Store.SwapPartSegmentAsync(upload.UploadId, 3, healed, part.Segment, default));
        await Store.ForgetGarbageAsync(await Store.ListGarbageAsync(100, default), default);
    }

    [Fact]
    public async Task HealQueue_ObjectAndPartOfTheSameKey_AreQueuedAndForgottenApart()
    {
        var b = await BucketAsync();
        var t = s_t0;
        var obj = new HealRequest(b, "k", "object", t);
        var part = new HealRequest(b, "k", "part", t.AddSeconds(1), "upload-1", 2);
        await Store.QueueHealAsync(obj, default);
        await Store.QueueHealAsync(part, default);
        await Store.QueueHealAsync(part with { Reason = "part again", QueuedAt = t.AddSeconds(2) }, default);

        var queued = (await Store.ListHealQueueAsync(10_000, default)).Where(r => r.Bucket == b).ToList();
        Assert.Equal([obj, part with { Reason = "part again", QueuedAt = t.AddSeconds(2) }], queued);

        await Store.ForgetHealAsync(obj, default);
        Assert.Equal(["part again"], (await Store.ListHealQueueAsync(10_000, default)).Where(r => r.Bucket == b).Select(r => r.Reason));
        await Store.ForgetHealAsync(queued[1], default);
        Assert.DoesNotContain(await Store.ListHealQueueAsync(10_000, default), r => r.Bucket == b);
    }

    [Fact]
    public async Task SwapSegment_ObjectOverwrittenOrDeleted_ChangesNothingAndReturnsFalse()
    {
        var b = await BucketAsync();
        var stale = Obj(b, "k", "blob-old");
        await Store.PutObjectAsync(stale, default);
        var newer = Obj(b, "k", "blob-new");
        await Store.PutObjectAsync(newer, default);
        await Store.ForgetGarbageAsync(await Store.ListGarbageAsync(100, default), default);
        var healed = stale.Segments[0] with { Shards = [new ShardBlob("v2", "blob-old.0.h1")] };

        Assert.False(await Store.SwapSegmentAsync(b, "k", stale.Segments[0], healed, default));
        Assert.False(await Store.SwapSegmentAsync(b, "gone", stale.Segments[0], healed, default));

        Assert.Equal(newer.Segments[0].Shards, (await Store.GetObjectAsync(b, "k", default))!.Segments.Single().Shards);
        Assert.Empty(await Store.ListGarbageAsync(100, default));
    }

    [Fact]
    public async Task PutObject_Overwrite_MarksOldSegmentsAsGarbage()
    {
        var b = await BucketAsync();
        await Store.PutObjectAsync(Obj(b, "k", "blob-old"), default);
        await Store.PutObjectAsync(Obj(b, "k", "blob-new"), default);
        var garbage = await Store.ListGarbageAsync(100, default);
        Assert.Contains(garbage, g => g.BlobId == "blob-old");
        Assert.DoesNotContain(garbage, g => g.BlobId == "blob-new");
        Assert.Equal(garbage.Count, (await Store.CountGarbageAsync(default)).ShardFiles);
        await Store.ForgetGarbageAsync(garbage, default);
        Assert.Empty(await Store.ListGarbageAsync(100, default));
        Assert.Equal(0, (await Store.CountGarbageAsync(default)).ShardFiles);
        Assert.True(await Store.DeleteObjectAsync(b, "k", default));
        Assert.Contains(await Store.ListGarbageAsync(100, default), g => g.BlobId == "blob-new");
        Assert.False(await Store.DeleteObjectAsync(b, "k", default));
    }

    private static ManifestCopy Copy(string volumeId, long offset) => new(volumeId, new LogExtent("00000001.log", offset, 100));

    [Fact]
    public async Task DeleteAndReplace_QueueTheOldManifestCopiesAsGarbage_UntilForgotten()
    {
        var b = await BucketAsync();
        var v1 = Obj(b, "k") with { Manifests = [Copy("v1", 0), Copy("v2", 0)] };
        var v2 = Obj(b, "k") with { Manifests = [Copy("v1", 200), Copy("v3", 0)] };
        await Store.PutObjectAsync(v1, default);
        await Store.PutObjectAsync(v2, default);
        Assert.Equal(v1.Manifests.ToHashSet(), (await Store.ListManifestGarbageAsync(10, default)).ToHashSet());
        Assert.Equal(v2.Manifests, (await Store.GetObjectAsync(b, "k", default))!.Manifests);
        Assert.True(await Store.DeleteObjectAsync(b, "k", default));
        Assert.Equal(4, (await Store.ListManifestGarbageAsync(10, default)).Count);
        Assert.Equal(4, (await Store.CountGarbageAsync(default)).ManifestCopies);
        await Store.ForgetManifestGarbageAsync([.. v1.Manifests, .. v2.Manifests], default);
        Assert.Empty(await Store.ListManifestGarbageAsync(10, default));
    }

    [Fact]
    public async Task ReplaceObjectIfUnchanged_OnlyWhileTheObjectIsTheExpectedOne()
    {
        var b = await BucketAsync();
        var first = Obj(b, "k") with { Manifests = [Copy("v1", 0)] };
        await Store.PutObjectAsync(first, default);
        var tagged = first with { Tags = [new("a", "1")], Manifests = [Copy("v1", 300)] };
        Assert.True(await Store.ReplaceObjectIfUnchangedAsync(first, tagged, default));
        Assert.Equal(tagged.Tags, (await Store.GetObjectAsync(b, "k", default))!.Tags);
        Assert.Equal([Copy("v1", 0)], await Store.ListManifestGarbageAsync(10, default));
        var other = Obj(b, "k");
        await Store.PutObjectAsync(other, default);
        Assert.False(await Store.ReplaceObjectIfUnchangedAsync(tagged, tagged with { Tags = [] }, default));
        Assert.False(await Store.ReplaceObjectIfUnchangedAsync(Obj(b, "missing"), Obj(b, "missing"), default));
    }

    [Fact]
    public async Task CatalogVersion_MovesWithTenantsUsersKeysAndBuckets_NotWithObjects()
    {
        var v0 = await Store.GetCatalogVersionAsync(default);
        var b = await BucketAsync();
        var v1 = await Store.GetCatalogVersionAsync(default);
        Assert.True(v1 > v0);
        await Store.PutObjectAsync(Obj(b, "k"), default);
        Assert.Equal(v1, await Store.GetCatalogVersionAsync(default));
        Assert.True(await Store.SetBucketEncryptionAsync(b, BucketEncryption.Default, default));
        Assert.True(await Store.GetCatalogVersionAsync(default) > v1);
    }

    [Fact]
    public async Task AccessKeys_DisableDeleteAndDeleteUser_ChangeOnlyTheirRowsAndMoveTheCatalogVersion()
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..12];
        var tenant = new Tenant(id, id, id, s_t0);
        await Store.CreateTenantAsync(tenant, new User(id, "root", true, UserPolicy.FullAccess, s_t0), default);
        Assert.True(await Store.CreateUserAsync(new User(id, "app", false, UserPolicy.FullAccess, s_t0), default));
        await Store.CreateAccessKeyAsync(new AccessKey(id + "-root", id, "root", [1], true, s_t0), default);
        await Store.CreateAccessKeyAsync(new AccessKey(id + "-app1", id, "app", [2], true, s_t0), default);
        await Store.CreateAccessKeyAsync(new AccessKey(id + "-app2", id, "app", [3], true, s_t0), default);

        var v0 = await Store.GetCatalogVersionAsync(default);
        Assert.True(await Store.SetAccessKeyActiveAsync(id + "-app1", false, default));
        Assert.False((await Store.GetAccessKeyAsync(id + "-app1", default))!.Active);
        Assert.True((await Store.GetAccessKeyAsync(id + "-app2", default))!.Active);
        Assert.False(await Store.SetAccessKeyActiveAsync(id + "-none", false, default));
        Assert.True(await Store.GetCatalogVersionAsync(default) > v0);

        Assert.True(await Store.DeleteAccessKeyAsync(id + "-app2", default));
        Assert.Null(await Store.GetAccessKeyAsync(id + "-app2", default));
        Assert.False(await Store.DeleteAccessKeyAsync(id + "-app2", default));

        Assert.Equal([id + "-app1"], await Store.DeleteUserAsync(id, "app", default));
        Assert.Null(await Store.GetUserAsync(id, "app", default));
        Assert.Null(await Store.DeleteUserAsync(id, "app", default));
        Assert.Equal([id + "-root"], (await Store.ListAccessKeysAsync(id, default)).Select(k => k.AccessKeyId));
    }

    [Fact]
    public async Task DeleteTenantIfEmpty_RefusesWhileItOwnsABucket_ThenDeletesUsersAndKeysWithIt()
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..12];
        await Store.CreateTenantAsync(new Tenant(id, id, id, s_t0), new User(id, "root", true, UserPolicy.FullAccess, s_t0), default);
        await Store.CreateAccessKeyAsync(new AccessKey(id + "-root", id, "root", [1], true, s_t0), default);
        var bucket = "b-" + Guid.NewGuid().ToString("N")[..12];
        Assert.Equal(BucketCreateResult.Created, await Store.CreateBucketAsync(new Bucket(bucket, id, "us-east-1", s_t0), default));

        Assert.Null(await Store.DeleteTenantIfEmptyAsync(id, default));
        Assert.NotNull(await Store.GetTenantAsync(id, default));
        Assert.NotNull(await Store.GetAccessKeyAsync(id + "-root", default));

        Assert.True(await Store.DeleteBucketAsync(bucket, default));
        Assert.Equal([id + "-root"], await Store.DeleteTenantIfEmptyAsync(id, default));
        Assert.Null(await Store.GetTenantAsync(id, default));
        Assert.Null(await Store.GetUserAsync(id, "root", default));
        Assert.Null(await Store.GetAccessKeyAsync(id + "-root", default));
    }

    [Fact]
    public async Task CompleteUpload_KeepsUsedPartsAndDropsTheRest()
    {
        var b = await BucketAsync();
        var upload = new MultipartUpload { UploadId = Guid.NewGuid().ToString("N"), Bucket = b, Key = "mp", Initiated = s_t0, InitiatorTenantId = "t1", InitiatorUser = "root" };
        await Store.CreateUploadAsync(upload, default);
        var p1 = new UploadPart(upload.UploadId, 1, 1, "\"1\"", s_t0, null, Seg("part1"));
        var p2 = new UploadPart(upload.UploadId, 2, 1, "\"2\"", s_t0, null, Seg("part2"));
        var p2b = p2 with { Segment = Seg("part2b") };
        Assert.True(await Store.PutPartAsync(p1, default));
        Assert.True(await Store.PutPartAsync(p2, default));
        Assert.True(await Store.PutPartAsync(p2b, default)); // re-upload of part 2 replaces it
        Assert.Contains(await Store.ListGarbageAsync(100, default), g => g.BlobId == "part2");
        var record = Obj(b, "mp") with { Segments = [p1.Segment] };
        Assert.Equal(WriteOutcome.Created, await Store.CompleteUploadAsync(upload.UploadId, record, ObjectWriteCondition.None, default));
        var garbage = await Store.ListGarbageAsync(100, default);
        Assert.Contains(garbage, g => g.BlobId == "part2b");
        Assert.DoesNotContain(garbage, g => g.BlobId == "part1");
        Assert.Null(await Store.GetUploadAsync(b, upload.UploadId, default));
        Assert.False(await Store.PutPartAsync(p1, default));
        Assert.Equal("part1", (await Store.GetObjectAsync(b, "mp", default))!.Segments.Single().Shards[0].BlobId);
    }

    [Fact]
    public async Task CompleteUpload_PartHealedSinceItWasRead_ChangesNothingAndReturnsFalse()
    {
        var b = await BucketAsync();
        var upload = new MultipartUpload { UploadId = Guid.NewGuid().ToString("N"), Bucket = b, Key = "mp", Initiated = s_t0, InitiatorTenantId = "t1", InitiatorUser = "root" };
        await Store.CreateUploadAsync(upload, default);
        var two = new DataSegment { Length = 1, DataShards = 1, ParityShards = 1, BlockBytes = 1, Shards = [new ShardBlob("v1", "p.0"), new ShardBlob("v2", "p.1")] };
        var part = new UploadPart(upload.UploadId, 1, 1, "\"1\"", s_t0, null, two);
        Assert.True(await Store.PutPartAsync(part, default));
        // The healer replaces shard 1 (not shard 0) after the completion read the part.
        var healed = two with { Shards = [two.Shards[0], new ShardBlob("v3", "p.1.h1")] };
        Assert.True(await Store.SwapPartSegmentAsync(upload.UploadId, 1, two, healed, default));
        await Store.ForgetGarbageAsync(await Store.ListGarbageAsync(100, default), default);

        Assert.Equal(WriteOutcome.PartsChanged, await Store.CompleteUploadAsync(upload.UploadId, Obj(b, "mp") with { Segments = [two] }, ObjectWriteCondition.None, default));

        Assert.Null(await Store.GetObjectAsync(b, "mp", default));
        Assert.NotNull(await Store.GetUploadAsync(b, upload.UploadId, default));
        Assert.Empty(await Store.ListGarbageAsync(100, default));
        Assert.Equal(WriteOutcome.Created, await Store.CompleteUploadAsync(upload.UploadId, Obj(b, "mp") with { Segments = [healed] }, ObjectWriteCondition.None, default));
        Assert.Empty(await Store.ListGarbageAsync(100, default));
    }

    [Fact]
    public async Task DeleteBucket_WithObject_IsRefused_AndWithUploadsAbortsThem()
    {
        var b = await BucketAsync();
        await Store.PutObjectAsync(Obj(b, "x"), default);
        Assert.False(await Store.DeleteBucketAsync(b, default));
        await Store.DeleteObjectAsync(b, "x", default);
        var upload = new MultipartUpload { UploadId = "u" + Guid.NewGuid().ToString("N"), Bucket = b, Key = "k", Initiated = s_t0, InitiatorTenantId = "t1", InitiatorUser = "root" };
        await Store.CreateUploadAsync(upload, default);
        await Store.PutPartAsync(new UploadPart(upload.UploadId, 1, 1, "\"1\"", s_t0, null, Seg("orphan-part")), default);
        Assert.True(await Store.DeleteBucketAsync(b, default));
        Assert.Null(await Store.GetBucketAsync(b, default));
        Assert.Contains(await Store.ListGarbageAsync(100, default), g => g.BlobId == "orphan-part");
    }

    [Fact]
    public async Task Listing_DelimiterFoldsCommonPrefixesAndCountsThem()
    {
        var b = await BucketAsync();
        foreach (var k in new[] { "a/1", "a/2", "a/3", "b", "c/1", "d" })
        {
            await Store.PutObjectAsync(Obj(b, k), default);
        }

        var page1 = await new ObjectListing(Store).ListAsync(b, "", "/", null, 2, default);
        Assert.Equal(["a/"], page1.CommonPrefixes);
        Assert.Equal(["b"], page1.Objects.Select(o => o.Key));
        Assert.True(page1.IsTruncated);
        var page2 = await new ObjectListing(Store).ListAsync(b, "", "/", page1.Last, 2, default);
        Assert.Equal(["c/"], page2.CommonPrefixes);
        Assert.Equal(["d"], page2.Objects.Select(o => o.Key));
        Assert.False(page2.IsTruncated);
        var resumeAtPrefix = await new ObjectListing(Store).ListAsync(b, "", "/", "a/", 10, default);
        Assert.DoesNotContain("a/", resumeAtPrefix.CommonPrefixes);
    }
}
