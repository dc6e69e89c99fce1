using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// The healer and the scrubber on the shared gateway (six volumes in three racks, STANDARD 4+2):
/// lost and corrupt shards are rebuilt on volumes that keep the rack rule, a lost rack makes healing
/// wait rather than break the rule, and an object overwritten during a heal is not clobbered. Every
/// test leaves every volume usable and the heal queue empty for the tests after it.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HealingTests(GatewayFixture gateway)
{
    private static readonly string s_csr = Path.Combine(AppContext.BaseDirectory, "csr.dll");

    private IMetadataStore Store => gateway.Host.Data.Store;

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = gateway.S3Client(await gateway.NewTenantAsync("heal"));
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    // 1.5 MiB of sealed data: two stripes of 4 × 256 KiB blocks, the second one short.
    private static async Task<byte[]> PutAsync(AmazonS3Client s3, string bucket, string key)
    {
        var body = RandomNumberGenerator.GetBytes(1536 * 1024);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
        return body;
    }

    private async Task<DataSegment> SegmentAsync(string bucket, string key) => (await Store.GetObjectAsync(bucket, key, default))!.Segments.Single();

    private Volume VolumeOf(ShardBlob shard) => gateway.Host.Data.Volumes.Single(v => v.Id == shard.VolumeId);

    private string PathOf(ShardBlob shard) => VolumeOf(shard).BlobPath(shard.BlobId);


    private async Task<bool> IsQueuedAsync(string bucket, string key) =>
        (await Store.ListHealQueueAsync(10_000, default)).Any(r => r.Bucket == bucket && r.Key == key);

    /// <summary>Every shard file exists, verifies as shard i of this segment, on distinct volumes, at most m per rack.</summary>
    private async Task AssertFullRedundancyAsync(DataSegment segment)
    {
        Assert.Equal(segment.DataShards + segment.ParityShards, segment.Shards.Count);
        Assert.Equal(segment.Shards.Count, segment.Shards.Select(s => s.VolumeId).Distinct().Count());
        Assert.All(segment.Shards.GroupBy(s => VolumeOf(s).Config.Rack), rack => Assert.True(rack.Count() <= segment.ParityShards, $"rack {rack.Key} holds {rack.Count()} shards"));
        for (var i = 0; i < segment.Shards.Count; i++)
        {
            Assert.True(VolumeOf(segment.Shards[i]).IsUsable);
            await using var file = File.OpenRead(PathOf(segment.Shards[i]));
            var verified = await ShardVerifier.VerifyAsync(file, i, default);
            Assert.True(verified.IsHealthy, $"shard {i}: {string.Join("; ", verified.Faults)}");
            Assert.Equal(segment.Length, verified.Header!.Value.ObjectLengthBytes);
        }
    }

    /// <summary>
    /// Waits until no object of <paramref name="bucket"/> is queued. Not the whole queue: other tests
    /// of the collection tamper with objects on purpose (rewritten consistently, unrecoverable), and
    /// those stay queued.
    /// </summary>
    private Task WaitUntilNothingQueuedAsync(string bucket) =>
        HealerPasses.UntilAsync(gateway.Host.Healer, async () => !(await Store.ListHealQueueAsync(100_000, default)).Any(r => r.Bucket == bucket),
            $"nothing of {bucket} is queued for healing",
            async () => string.Join("; ", (await Store.ListHealQueueAsync(100_000, default)).Where(r => r.Bucket == bucket).Select(r => $"{r.Key}: {r.Reason}")));

    [Fact]
    public async Task ShardFiles_TwoOfSixDeleted_GetReturnsTheBytesAndTheHealerRestoresThem()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = await PutAsync(s3, bucket, "obj");
        var before = await SegmentAsync(bucket, "obj");
        var manifestsBefore = (await gateway.Host.Data.Store.GetObjectAsync(bucket, "obj", default))!.Manifests;
        using (var queued = new HealQueueRecorder(gateway.Host.HealQueue))
        {
            File.Delete(PathOf(before.Shards[1]));
            File.Delete(PathOf(before.Shards[4]));

            Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "obj"));
            await Eventually.UntilAsync(() => Task.FromResult(queued.Saw(bucket, "obj")), "the GET queues the object");
            await HealerPasses.UntilAsync(gateway.Host.Healer, async () => (await SegmentAsync(bucket, "obj")).Shards.Where((s, i) => s != before.Shards[i]).Count() == 2, "the healer swaps in two shards");
        }

        var after = await SegmentAsync(bucket, "obj");
        Assert.NotEqual(before.Shards[1], after.Shards[1]);
        Assert.NotEqual(before.Shards[4], after.Shards[4]);
        Assert.Equal(before.Shards.Where((_, i) => i is not (1 or 4)), after.Shards.Where((_, i) => i is not (1 or 4)));
        // The shard's own volume was usable, so the rebuilt shard stays there.
        Assert.Equal(before.Shards[1].VolumeId, after.Shards[1].VolumeId);
        await AssertFullRedundancyAsync(after);
        Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "obj"));
        // Fresh manifests name the healed shards, so that a metadata rebuild finds them.
        await HealerPasses.UntilAsync(gateway.Host.Healer, async () => !(await gateway.Host.Data.Store.GetObjectAsync(bucket, "obj", default))!.Manifests.SequenceEqual(manifestsBefore), "the healer writes fresh manifests");
        await WaitUntilNothingQueuedAsync(bucket);
    }

    [Fact]
    public async Task ShardBlock_ByteFlipped_ScrubNowQueuesItAndTheHealerRewritesIt()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = await PutAsync(s3, bucket, "obj");
        var before = await SegmentAsync(bucket, "obj");
        var damaged = PathOf(before.Shards[2]);
        await using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = ShardHeader.SizeBytes + 1000; // inside the first block
            var b = file.ReadByte();
            file.Position -= 1;
            file.WriteByte((byte)(b ^ 0x10));
        }
        ScrubPass pass;
        var queued = new HealQueueRecorder(gateway.Host.HealQueue);
        using (queued)
        {
            pass = await gateway.Host.Scrubber.ScrubNowAsync(default);
        }

        Assert.Contains(queued.Requests, r => r.Bucket == bucket && r.Key == "obj" && r.Reason.Contains("ChecksumMismatch", StringComparison.Ordinal));
        Assert.True(pass.FaultyShards >= 1 && pass.ObjectsQueued >= 1, $"{pass}");
        Assert.True(pass.ShardsChecked >= 6, $"{pass}");
        Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "obj"));
        await HealerPasses.UntilAsync(gateway.Host.Healer, async () => (await SegmentAsync(bucket, "obj")).Shards[2] != before.Shards[2], "the healer swaps in shard 2");
        var after = await SegmentAsync(bucket, "obj");
        Assert.Equal(before.Shards.Where((_, i) => i != 2), after.Shards.Where((_, i) => i != 2));
        await AssertFullRedundancyAsync(after);
        Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "obj"));
        // The corrupt file became garbage: overwritten and unlinked by the collector.
        await Eventually.UntilAsync(() => Task.FromResult(!File.Exists(damaged)), "the replaced shard file is released");
        await WaitUntilNothingQueuedAsync(bucket);
        using var again = new HealQueueRecorder(gateway.Host.HealQueue);
        await gateway.Host.Scrubber.ScrubNowAsync(default);
        Assert.DoesNotContain(again.Requests, r => r.Bucket == bucket);
    }

    /// <summary>Flips one byte inside block <paramref name="stripe"/> of a shard file: the length and header stay valid, the CRC-32C catches it.</summary>
    private static async Task FlipBlockByteAsync(string path, DataSegment segment, long stripe)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = ShardHeader.SizeBytes + stripe * (segment.BlockBytes + 4L) + 100;
        var b = file.ReadByte();
        file.Position -= 1;
        file.WriteByte((byte)(b ^ 0x40));
    }

    [Fact]
    public async Task HealObject_BadBlocksOnThreeShardsInDifferentStripes_EveryShardRebuiltAndTheObjectSurvivesARackLoss()
    {
        var (s3, bucket) = await NewBucketAsync();
        // 2.5 MiB: three stripes of 4 × 256 KiB blocks, the last one short.
        var body = RandomNumberGenerator.GetBytes(2560 * 1024);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "obj", InputStream = new MemoryStream(body) });
        var before = await SegmentAsync(bucket, "obj");
        Assert.True(before.Length > 2L * before.DataShards * before.BlockBytes, "the object needs three stripes");
        // The rack lost later holds two shards; three shards outside it get one bad block each, in
        // stripes 0, 1 and 2: more than m = 2 bad blocks in total, at most 1 per stripe.
        var rack = VolumeOf(before.Shards[5]).Config.Rack;
        var damaged = Enumerable.Range(0, before.Shards.Count).Where(i => VolumeOf(before.Shards[i]).Config.Rack != rack).Take(3).ToList();
        Assert.Equal(3, damaged.Count);
        for (var s = 0; s < damaged.Count; s++)
        {
            await FlipBlockByteAsync(PathOf(before.Shards[damaged[s]]), before, s);
        }

        var record = (await Store.GetObjectAsync(bucket, "obj", default))!;
        Assert.Equal(HealOutcome.Healed, await gateway.Host.Healer.HealObjectAsync(record, default));

        var after = await SegmentAsync(bucket, "obj");
        Assert.All(damaged, i => Assert.NotEqual(before.Shards[i], after.Shards[i]));
        await AssertFullRedundancyAsync(after);

        // Then the rack is lost: four whole shards are left, enough for every stripe.
        using (var lost = new RackAway(gateway, rack))
        {
            Assert.All(lost.Volumes, v => Assert.False(v.IsUsable));
            Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "obj"));
        }
        Assert.All(gateway.Host.Data.Volumes, v => Assert.True(v.IsUsable, v.StateText));
        await WaitUntilNothingQueuedAsync(bucket);
    }

    private async Task<UploadPart> PartAsync(string uploadId, int partNumber) =>
        (await Store.ListPartsAsync(uploadId, partNumber - 1, 1, default)).Items.Single(p => p.PartNumber == partNumber);

    [Fact]
    public async Task UploadPart_ShardMissingAndBlockCorrupt_SweepAndScrubQueueThePartAndTheHealerRebuildsIt_SoTheObjectSurvivesARackLoss()
    {
        var (s3, bucket) = await NewBucketAsync();
        var part1 = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 3);
        var part2 = RandomNumberGenerator.GetBytes(1024 * 1024);
        var init = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var e1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(part1) });
        var e2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(part2) });
        var before = (await PartAsync(init.UploadId, 1)).Segment;
        // Two shards of part 1 outside the rack lost later: one file gone, one with a bad block.
        var rack = VolumeOf(before.Shards[5]).Config.Rack;
        var outside = Enumerable.Range(0, before.Shards.Count).Where(i => VolumeOf(before.Shards[i]).Config.Rack != rack).ToList();
        int gone = outside[0], corrupt = outside[1];

        // Recorded from before the damage: the background scrubber and healer run all the time, and
        // whichever pass finds the damage first queues the part (the sweep below cannot see a bad block).
        using (var queued = new HealQueueRecorder(gateway.Host.HealQueue))
        {
            await FlipBlockByteAsync(PathOf(before.Shards[corrupt]), before, 1);
            await gateway.Host.Scrubber.ScrubNowAsync(default);
            Assert.Contains(queued.Requests, r => r.UploadId == init.UploadId && r.PartNumber == 1 && r.Reason.Contains("ChecksumMismatch", StringComparison.Ordinal));
            await gateway.Host.Healer.HealNowAsync(default);
            await HealerPasses.UntilAsync(gateway.Host.Healer, async () => (await PartAsync(init.UploadId, 1)).Segment.Shards[corrupt] != before.Shards[corrupt], "the healer swaps in the corrupt shard");
        }
        // Then a shard file goes missing: the sweep (or a background scrub pass that gets there first;
        // the sweep writes to the queue without the event the recorder hears) queues the part again.
        File.Delete(PathOf(before.Shards[gone]));
        await gateway.Host.Healer.SweepNowAsync(default);
        await gateway.Host.Healer.HealNowAsync(default);
        await HealerPasses.UntilAsync(gateway.Host.Healer, async () => (await PartAsync(init.UploadId, 1)).Segment.Shards.Where((s, i) => s != before.Shards[i]).Count() == 2, "the healer swaps in two shards of part 1");
        var after = (await PartAsync(init.UploadId, 1)).Segment;
        Assert.Equal(before.Shards.Where((_, i) => i != gone && i != corrupt), after.Shards.Where((_, i) => i != gone && i != corrupt));
        await AssertFullRedundancyAsync(after);

        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, e1.ETag), new PartETag(2, e2.ETag)],
        });
        using (new RackAway(gateway, rack))
        {
            Assert.Equal(part1.Concat(part2).ToArray(), await ObjectBytes.GetAsync(s3, bucket, "mp"));
        }
        Assert.All(gateway.Host.Data.Volumes, v => Assert.True(v.IsUsable, v.StateText));
        await WaitUntilNothingQueuedAsync(bucket);
    }

    [Fact]
    public async Task CompleteMultipartUpload_PartWithFewerThanKIntactShards_IsRefusedWithInvalidPartAndTheUploadKeptForARetry()
    {
        var (s3, bucket) = await NewBucketAsync();
        var part1 = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        var part2 = RandomNumberGenerator.GetBytes(1024 * 1024 + 7);
        var init = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var e1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(part1) });
        var e2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(part2) });
        var segment = (await PartAsync(init.UploadId, 2)).Segment;
        // Three of six shard files gone from volumes in use: part 2 cannot be read any more.
        foreach (var i in new[] { 0, 2, 4 })
        {
            File.Delete(PathOf(segment.Shards[i]));
        }

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, e1.ETag), new PartETag(2, e2.ETag)],
        }));
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Equal("InvalidPart", refused.ErrorCode);
        Assert.Contains("Part 2", refused.Message);
        Assert.Contains("Upload the part again", refused.Message);
        // Nothing was committed and the upload is intact.
        Assert.Null(await Store.GetObjectAsync(bucket, "mp", default));
        Assert.Equal(2, (await s3.ListPartsAsync(bucket, "mp", init.UploadId)).Parts.Count);

        var again = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(part2) });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, e1.ETag), new PartETag(2, again.ETag)],
        });
        Assert.Equal(part1.Concat(part2).ToArray(), await ObjectBytes.GetAsync(s3, bucket, "mp"));
        await WaitUntilNothingQueuedAsync(bucket);
    }

    [Fact]
    public async Task CompleteMultipartUpload_PartReadableOnlyWhenARackReturns_Is503AndCompletesAfterTheRackIsBack()
    {
        var (s3, bucket) = await NewBucketAsync();
        var part1 = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        var init = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var e1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(part1) });
        var segment = (await PartAsync(init.UploadId, 1)).Segment;
        var rack = VolumeOf(segment.Shards[5]).Config.Rack;
        // One shard file gone outside the rack that goes offline: 3 intact shards, 2 more on the offline rack.
        File.Delete(PathOf(segment.Shards[Enumerable.Range(0, 6).First(i => VolumeOf(segment.Shards[i]).Config.Rack != rack)]));
        var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, e1.ETag)] };
        using (new RackAway(gateway, rack))
        {
            var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(complete));
            Assert.Equal(503, (int)refused.StatusCode);
            Assert.Equal("ServiceUnavailable", refused.ErrorCode);
            Assert.Contains("Part 1", refused.Message);
            Assert.Null(await Store.GetObjectAsync(bucket, "mp", default));
        }
        Assert.All(gateway.Host.Data.Volumes, v => Assert.True(v.IsUsable, v.StateText));
        await s3.CompleteMultipartUploadAsync(complete);
        Assert.Equal(part1, await ObjectBytes.GetAsync(s3, bucket, "mp"));
        await WaitUntilNothingQueuedAsync(bucket);
    }

    [Fact]
    public async Task Rack_BothVolumesGone_HealWaitsInsteadOfBreakingTheRuleAndCompletesWhenTheyReturn()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = await PutAsync(s3, bucket, "obj");
        var before = await SegmentAsync(bucket, "obj");
        var rack = VolumeOf(before.Shards[0]).Config.Rack;
        using (var lost = new RackAway(gateway, rack))
        {
            Assert.Equal(2, lost.Volumes.Count);
            var onLostRack = Enumerable.Range(0, before.Shards.Count).Where(i => lost.Volumes.Any(v => v.Id == before.Shards[i].VolumeId)).ToList();
            Assert.Equal(2, onLostRack.Count);
            Assert.All(lost.Volumes, v => Assert.False(v.IsUsable));

            // Still readable from the two racks left, and queued by the read.
            Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "obj"));
            await Eventually.UntilAsync(() => IsQueuedAsync(bucket, "obj"), "the GET queues the object");
            var result = await gateway.Host.Healer.HealNowAsync(default);

            // The other racks already hold m = 2 shards each: nowhere to put the lost two.
            Assert.True(result.Waiting >= 1, result.ToString());
            Assert.True(await IsQueuedAsync(bucket, "obj"));
            Assert.Equal(before.Shards, (await SegmentAsync(bucket, "obj")).Shards);
            Assert.Equal(HealStatus.WaitingForVolumes, gateway.Host.Healer.Progress.Snapshot().State);
            Assert.Contains("placement rule", gateway.Host.Healer.Progress.Snapshot().WaitingReason);

            // One of the two shards did not survive the outage.
            var gone = before.Shards[onLostRack[0]];
            File.Delete(Path.Combine(lost.PathWhileAway(gone.VolumeId), "blobs", gone.BlobId[..2], gone.BlobId));
            lost.Return(); // VolumeReturned: a sweep, then the queue

            await HealerPasses.UntilAsync(gateway.Host.Healer, async () => !await IsQueuedAsync(bucket, "obj"), "the object leaves the queue");
            var after = await SegmentAsync(bucket, "obj");
            Assert.NotEqual(gone, after.Shards[onLostRack[0]]);
            Assert.Equal(gone.VolumeId, after.Shards[onLostRack[0]].VolumeId);
            Assert.Equal(before.Shards[onLostRack[1]], after.Shards[onLostRack[1]]);
            await AssertFullRedundancyAsync(after);
            Assert.Equal(body, await ObjectBytes.GetAsync(s3, bucket, "obj"));
        }
        Assert.All(gateway.Host.Data.Volumes, v => Assert.True(v.IsUsable, v.StateText));
        await WaitUntilNothingQueuedAsync(bucket);
    }

    [Fact]
    public async Task HealObject_OverwrittenMeanwhile_SwapIsRefusedAndTheNewObjectKept()
    {
        var (s3, bucket) = await NewBucketAsync();
        await PutAsync(s3, bucket, "obj");
        var stale = (await Store.GetObjectAsync(bucket, "obj", default))!;
        var old = stale.Segments.Single();
        File.Delete(PathOf(old.Shards[0]));
        // Keep the old shards from being overwritten as garbage while the healer reads them.
        var held = old.Shards.Skip(1).Select(s => gateway.Host.Blobs.TryOpenRead(s)!).ToList();
        try
        {
            var newer = await PutAsync(s3, bucket, "obj");
            var current = await SegmentAsync(bucket, "obj");

            Assert.Equal(HealOutcome.Superseded, await gateway.Host.Healer.HealObjectAsync(stale, default));

            Assert.Equal(current.Shards, (await SegmentAsync(bucket, "obj")).Shards);
            Assert.Equal(newer, await ObjectBytes.GetAsync(s3, bucket, "obj"));
            // The shard rebuilt for the stale record was released, not left in blobs/.
            var prefix = old.Shards[0].BlobId.Split('.')[0];
            Assert.All(gateway.Host.Data.Volumes, v =>
                Assert.Empty(Directory.EnumerateFiles(v.BlobDirectory, prefix + ".0.h*", SearchOption.AllDirectories)));
        }
        finally
        {
            held.ForEach(h => h.Dispose());
        }
    }

    [Fact]
    public async Task HealStatusCommand_AfterAHeal_PrintsCountersQueueAndTheLastScrub()
    {
        var (s3, bucket) = await NewBucketAsync();
        await PutAsync(s3, bucket, "obj");
        var before = await SegmentAsync(bucket, "obj");
        File.Delete(PathOf(before.Shards[5]));
        var healedBefore = gateway.Host.Healer.Progress.Snapshot().ObjectsHealed;

        Assert.True(await gateway.Host.Healer.SweepNowAsync(default) >= 1);
        await gateway.Host.Healer.HealNowAsync(default);
        // The background healer, woken by the same sweep, may be the one that heals it: wait for either.
        await HealerPasses.UntilAsync(gateway.Host.Healer, async () => (await SegmentAsync(bucket, "obj")).Shards[5] != before.Shards[5], "shard 5 is healed");
        await gateway.Host.Scrubber.ScrubNowAsync(default);
        await Eventually.UntilAsync(() => Task.FromResult(HealStatusFile.TryRead(HealStatusFile.PathIn(gateway.DataDirectory)) is { } s
            && s.ObjectsHealed > healedBefore && s.Scrub.Last is not null && s.State == HealStatus.Idle), "the status file shows the heal and the scrub");

        var status = await ExternalProcess.RunAsync("dotnet", [s_csr, "heal", "status", "--data", gateway.DataDirectory]);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("healer:      idle", status.Stdout);
        Assert.Matches(@"queue:\s+\d+ objects?", status.Stdout);
        Assert.Matches(@"healed:\s+[1-9]\d* objects, [1-9]\d* shards", status.Stdout);
        Assert.Contains("last scrub:", status.Stdout);
        Assert.DoesNotContain("none yet", status.Stdout);

        var watch = await ExternalProcess.RunAsync("dotnet", [s_csr, "heal", "status", "--watch", "--data", gateway.DataDirectory], timeout: TimeSpan.FromMinutes(1));
        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.Matches("heal queue is empty|healer is idle", watch.Stdout);

        var scrub = await ExternalProcess.RunAsync("dotnet", [s_csr, "scrub", "status", "--data", gateway.DataDirectory]);
        Assert.True(scrub.ExitCode == 0, scrub.ToString());
        Assert.Contains("scrubber:", scrub.Stdout);
        Assert.Matches(@"last scrub:.*[1-9]\d* objects", scrub.Stdout);
        Assert.DoesNotContain("healer:", scrub.Stdout);
    }
}
