using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.RecordLog;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Small objects (at most 64 KiB) stored inline (issue 6): their sealed bytes travel in the object's
/// manifest copies, m + 1 = 3 of them in three racks, instead of six shard files. They read back,
/// survive damaged and lost copies, are scrubbed and healed, keep their bytes through a tag change,
/// and leave nothing readable behind when deleted.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class InlineObjectTests(GatewayFixture gateway)
{
    private const int InlineMax = 64 * 1024;

    private IMetadataStore Store => gateway.Host.Data.Store;

    private BlobStore Blobs => gateway.Host.Blobs;

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = gateway.S3Client(await gateway.NewTenantAsync("inl"));
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static async Task<byte[]> PutAsync(AmazonS3Client s3, string bucket, string key, int size)
    {
        var body = RandomNumberGenerator.GetBytes(size);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
        return body;
    }

    private async Task<ObjectRecord> RecordAsync(string bucket, string key) => (await Store.GetObjectAsync(bucket, key, default))!;

    private Volume VolumeOf(ManifestCopy copy) => gateway.Host.Data.Volumes.Single(v => v.Id == copy.VolumeId);

    private string SegmentPathOf(ManifestCopy copy) => Path.Combine(VolumeLogs.DirectoryOf(VolumeOf(copy)), copy.Extent.Segment);

    private long ShardFileCount() => gateway.Host.Data.Volumes.Sum(v => Directory.Exists(v.BlobDirectory)
        ? Directory.EnumerateFiles(v.BlobDirectory, "*", SearchOption.AllDirectories).LongCount()
        : 0);

    /// <summary>Flips one byte of a copy's payload on disk (its CRC no longer matches).</summary>
    private async Task DamageAsync(ManifestCopy copy)
    {
        await using var file = new FileStream(SegmentPathOf(copy), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Position = copy.Extent.Offset + ManifestLogFormat.HeaderBytes + copy.Extent.Length - 10;
        var b = file.ReadByte();
        file.Position -= 1;
        file.WriteByte((byte)(b ^ 0x04));
    }

    /// <summary>Three good copies on three volumes in three racks, each holding the object's sealed bytes.</summary>
    private async Task AssertFullRedundancyAsync(ObjectRecord record)
    {
        Assert.True(record.IsInline());
        Assert.Equal(3, record.Manifests.Count);
        Assert.Equal(3, record.Manifests.Select(VolumeOf).Select(v => v.Config.Rack).Distinct().Count());
        foreach (var copy in record.Manifests)
        {
            var read = await gateway.Host.InlineCopies.ReadAsync(copy, record, confirmOwner: true, default);
            Assert.True(read.Bytes is not null, read.Problem);
            Assert.Equal(record.Segments[0].Length, read.Bytes.Value.Length);
        }
    }

    private Task WaitUntilNothingQueuedAsync(string bucket) =>
        HealerPasses.UntilAsync(gateway.Host.Healer, async () => !(await Store.ListHealQueueAsync(100_000, default)).Any(r => r.Bucket == bucket), $"nothing of {bucket} is queued for healing");

    [Fact]
    public async Task SmallPut_IsStoredInlineInThreeCopiesOnThreeRacks_WithoutShardFiles_AndReadsBack()
    {
        var (s3, bucket) = await NewBucketAsync();
        var shardFiles = ShardFileCount();

        var body = await PutAsync(s3, bucket, "small", 4096);

        Assert.Equal(shardFiles, ShardFileCount());
        var record = await RecordAsync(bucket, "small");
        var segment = record.Segments.Single();
        Assert.True(segment.Inline);
        Assert.Empty(segment.Shards);
        Assert.Equal((1, 2), (segment.DataShards, segment.ParityShards));
        await AssertFullRedundancyAsync(record);
        Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "small"));
        Assert.Equal(body[100..200], await ObjectBytes.GetAsync(s3, bucket, "small", new ByteRange(100, 199)));
        var head = await s3.GetObjectMetadataAsync(bucket, "small");
        Assert.Equal(4096, head.ContentLength);
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(body)) + "\"", head.ETag);
    }

    [Fact]
    public async Task Sizes_UpToTheInlineLimitAreInline_OneByteMoreGoesToShardFiles()
    {
        var (s3, bucket) = await NewBucketAsync();
        var bodies = new Dictionary<string, byte[]>
        {
            ["empty"] = await PutAsync(s3, bucket, "empty", 0),
            ["limit"] = await PutAsync(s3, bucket, "limit", InlineMax),
            ["above"] = await PutAsync(s3, bucket, "above", InlineMax + 1),
        };
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "limit", DestinationBucket = bucket, DestinationKey = "copy" });
        bodies["copy"] = bodies["limit"];

        Assert.True((await RecordAsync(bucket, "empty")).IsInline());
        Assert.True((await RecordAsync(bucket, "limit")).IsInline());
        Assert.True((await RecordAsync(bucket, "copy")).IsInline());
        var above = await RecordAsync(bucket, "above");
        Assert.False(above.IsInline());
        Assert.Equal(6, above.Segments.Single().Shards.Count);
        foreach (var (key, body) in bodies)
        {
            Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, key));
        }
    }

    [Fact]
    public async Task Copies_OneDamagedOneReleased_GetReturnsTheBytes_AndTheHealerRestoresThreeGoodCopies()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = await PutAsync(s3, bucket, "k", 10_000);
        var before = await RecordAsync(bucket, "k");
        using (var queued = new HealQueueRecorder(gateway.Host.HealQueue))
        {
            await DamageAsync(before.Manifests[0]);
            await Blobs.Logs!.Find(before.Manifests[1].VolumeId)!.OverwriteAsync(before.Manifests[1].Extent, default);

            Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "k"));
            await Eventually.UntilAsync(() => Task.FromResult(queued.Saw(bucket, "k")), "the GET queues the object");
        }
        await HealerPasses.UntilAsync(gateway.Host.Healer, async () => !(await RecordAsync(bucket, "k")).Manifests.Intersect(before.Manifests).Any(), "the healer swaps in fresh copies");

        var after = await RecordAsync(bucket, "k");
        await AssertFullRedundancyAsync(after);
        Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "k"));
        // The old copies became garbage: the intact one is overwritten too.
        await Eventually.UntilAsync(async () => (await gateway.Host.InlineCopies.ReadAsync(before.Manifests[2], before, confirmOwner: false, default)).Bytes is null, "the replaced copies are overwritten");
        await WaitUntilNothingQueuedAsync(bucket);
    }

    [Fact]
    public async Task Get_InlineObjectReplacedAndItsOldCopiesOverwritten_IsReplacedNotAFailure()
    {
        // The inline re-read race (issue 12): a GET looked the object up, then a PUT replaced it and the
        // garbage collector overwrote the old copies before the GET read them.
        var (s3, bucket) = await NewBucketAsync();
        await PutAsync(s3, bucket, "k", 1000);
        var before = await RecordAsync(bucket, "k");
        await PutAsync(s3, bucket, "k", 1000);
        Assert.True((await gateway.Host.Garbage.CollectNowAsync(default)).IsComplete);
        foreach (var copy in before.Manifests)
        {
            Assert.Null((await gateway.Host.InlineCopies.ReadAsync(copy, before, confirmOwner: false, default)).Bytes);
        }

        var reader = new Gateway.Objects.ObjectReader(Store, Blobs, gateway.Host.InlineCopies, gateway.Host.SseKeys, gateway.Host.HealQueue);
        Assert.Equal(Gateway.Objects.GetObjectOutcome.Replaced, await reader.GetAsync(before, null, new Gateway.Objects.ByteRange(0, before.Size), Stream.Null, default));
    }

    [Fact]
    public async Task ReadInline_AnExtentThatNamesAnotherObjectsRecord_IsRefusedForTheOwner()
    {
        // An extent that names another object's authentic record (the MAC cannot tell whose it is):
        // bytes copied elsewhere must be the owner's.
        var (s3, bucket) = await NewBucketAsync();
        await PutAsync(s3, bucket, "a", 100);
        await PutAsync(s3, bucket, "b", 100);
        var a = await RecordAsync(bucket, "a");
        var b = await RecordAsync(bucket, "b");
        var foreign = b.Manifests[0];

        Assert.NotNull((await gateway.Host.InlineCopies.ReadAsync(foreign, b, confirmOwner: true, default)).Bytes);
        var read = await gateway.Host.InlineCopies.ReadAsync(foreign, a, confirmOwner: true, default);

        Assert.Null(read.Bytes);
        Assert.True(read.IsDamaged);
        Assert.Contains($"not a manifest of {bucket}/a", read.Problem);
        Assert.NotNull((await gateway.Host.InlineCopies.ReadAsync(a.Manifests[0], a, confirmOwner: true, default)).Bytes);
    }

    [Fact]
    public async Task EveryCopyUnreadable_GetFailsWithAnErrorAndNeverWrongBytes()
    {
        var (s3, bucket) = await NewBucketAsync();
        await PutAsync(s3, bucket, "k", 1000);
        var record = await RecordAsync(bucket, "k");
        foreach (var copy in record.Manifests)
        {
            await DamageAsync(copy);
        }

        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));

        Assert.Equal("InternalError", e.ErrorCode);
        // Nothing can be rebuilt: the healer reports it and leaves it queued; delete it for the tests after this one.
        await s3.DeleteObjectAsync(bucket, "k");
        await gateway.Host.Healer.HealNowAsync(default);
        await WaitUntilNothingQueuedAsync(bucket);
    }

    [Fact]
    public async Task Scrub_FindsADamagedCopy_AndTheHealerRewritesTheCopies()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = await PutAsync(s3, bucket, "k", 3000);
        var before = await RecordAsync(bucket, "k");
        await DamageAsync(before.Manifests[2]);
        ScrubPass pass;
        var queued = new HealQueueRecorder(gateway.Host.HealQueue);
        using (queued)
        {
            pass = await gateway.Host.Scrubber.ScrubNowAsync(default);
        }

        Assert.Contains(queued.Requests, r => r.Bucket == bucket && r.Key == "k" && r.Reason.Contains("copy 2", StringComparison.Ordinal));
        Assert.True(pass.FaultyShards >= 1, $"{pass}");
        await HealerPasses.UntilAsync(gateway.Host.Healer, async () => !(await RecordAsync(bucket, "k")).Manifests.SequenceEqual(before.Manifests), "the healer swaps in fresh copies");
        await AssertFullRedundancyAsync(await RecordAsync(bucket, "k"));
        Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "k"));
        await WaitUntilNothingQueuedAsync(bucket);
    }

    [Fact]
    public async Task Tagging_CarriesTheBytesIntoFreshCopies_AndReleasesTheOldOnes()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = await PutAsync(s3, bucket, "k", 5000);
        var before = await RecordAsync(bucket, "k");

        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = [new Tag { Key = "colour", Value = "blue" }] } });

        var after = await RecordAsync(bucket, "k");
        Assert.Empty(after.Manifests.Intersect(before.Manifests));
        await AssertFullRedundancyAsync(after);
        Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "k"));
        Assert.Equal("blue", (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" })).Tagging.Single().Value);
        await Eventually.UntilAsync(async () =>
        {
            foreach (var copy in before.Manifests)
            {
                if ((await gateway.Host.InlineCopies.ReadAsync(copy, before, confirmOwner: false, default)).Bytes is not null)
                {
                    return false;
                }
            }
            return true;
        }, "the copies without the tag are overwritten");
    }

    [Fact]
    public async Task Delete_OverwritesEveryCopy_SoTheSealedBytesAreGoneFromTheLogs()
    {
        var (s3, bucket) = await NewBucketAsync();
        await PutAsync(s3, bucket, "k", 2000);
        var record = await RecordAsync(bucket, "k");
        var sealedBytes = (await gateway.Host.InlineCopies.ReadAsync(record.Manifests[0], record, confirmOwner: true, default)).Bytes!.Value.ToArray();
        Assert.All(record.Manifests, copy => Assert.True(File.ReadAllBytes(SegmentPathOf(copy)).AsSpan().IndexOf(sealedBytes) >= 0));

        await s3.DeleteObjectAsync(bucket, "k");

        await Eventually.UntilAsync(() => Task.FromResult(record.Manifests.All(copy =>
            File.ReadAllBytes(SegmentPathOf(copy)).AsSpan().IndexOf(sealedBytes.AsSpan(0, 64)) < 0)), "every copy is overwritten in its log");
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"))).ErrorCode);
    }
}
