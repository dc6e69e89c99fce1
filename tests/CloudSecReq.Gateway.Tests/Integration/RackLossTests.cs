using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// The fixture's six volumes in three racks under failure: a rack whose disks are gone, a rack that
/// is offline for a while, a swapped disk. Objects stay readable through the aws cli, and writes that
/// cannot keep the rack rule are refused with the documented 503 instead of being stored with less
/// protection. Every test leaves all six volumes usable again.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RackLossTests(GatewayFixture gateway)
{
    private List<Volume> Rack(string rack) => gateway.Host.Data.Volumes.Where(v => v.Config.Rack == rack).ToList();

    private static bool Same(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "timed out waiting until " + what);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task RackDisksDeleted_EveryObjectStillReadsThroughAwsCli_UnplaceableWritesAreRefused_AndTheHealerRestoresEveryShard()
    {
        var tenant = await gateway.NewTenantAsync();
        var env = gateway.ClientEnvironment(tenant);
        var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        using var dir = new ScratchDirectory();
        await AwsCli.OkAsync(env, "s3", "mb", $"s3://{bucket}");
        var files = new Dictionary<string, byte[]>
        {
            ["small.bin"] = dir.WriteRandom("small.bin", 1000),
            ["medium.bin"] = dir.WriteRandom("medium.bin", 3 * 1024 * 1024 + 5),
            ["multipart.bin"] = dir.WriteRandom("multipart.bin", 20 * 1024 * 1024 + 11), // above the cli's 8 MiB threshold
            ["empty.bin"] = dir.WriteRandom("empty.bin", 0),
        };
        foreach (var name in files.Keys)
        {
            await AwsCli.OkAsync(env, "s3", "cp", dir[name], $"s3://{bucket}/{name}", "--only-show-errors", "--no-progress");
        }
        var rr = dir.WriteRandom("rr.bin", 100_000);
        await AwsCli.OkAsync(env, "s3", "cp", dir["rr.bin"], $"s3://{bucket}/rr.bin", "--storage-class", "REDUCED_REDUNDANCY", "--only-show-errors", "--no-progress");
        files["rr.bin"] = rr;

        using var recorder = new HealQueueRecorder(gateway.Host.HealQueue);
        var rack3 = Rack("rack3");
        var rack2 = Rack("rack2");
        try
        {
            // rack3's disks are gone for good: their directories, shards and identities deleted.
            foreach (var volume in rack3)
            {
                Directory.Delete(volume.Config.Path, recursive: true);
            }
            await WaitUntilAsync(() => rack3.All(v => !v.IsUsable), "the monitor takes rack3 out of use");

            foreach (var (name, bytes) in files)
            {
                var back = dir[name + ".back"];
                await AwsCli.OkAsync(env, "s3", "cp", $"s3://{bucket}/{name}", back, "--only-show-errors", "--no-progress");
                var read = await File.ReadAllBytesAsync(back);
                Assert.True(Same(bytes, read), $"{name} read back wrong with rack3 gone");
            }
            var ranged = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "multipart.bin", ByteRange = new ByteRange(9_000_000, 9_999_999) });
            using (var ms = new MemoryStream())
            {
                await ranged.ResponseStream.CopyToAsync(ms);
                Assert.Equal(files["multipart.bin"][9_000_000..10_000_000], ms.ToArray());
            }

            // Two racks left: STANDARD (4+2, at most 2 per rack) cannot be placed; REDUCED_REDUNDANCY (two copies in two racks) can.
            var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "refused", ContentBody = "x" }));
            Assert.Equal(503, (int)refused.StatusCode);
            Assert.Equal("ServiceUnavailable", refused.ErrorCode);
            Assert.Contains("STANDARD", refused.Message);
            await AwsCli.FailsWithAsync("ServiceUnavailable", env, "s3api", "put-object", "--bucket", bucket, "--key", "refused-cli", "--body", dir["small.bin"]);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "rr-while-degraded", ContentBody = "two copies", StorageClass = S3StorageClass.ReducedRedundancy });

            // rack2 goes offline too (its directories moved away): one healthy rack, nothing may be written.
            foreach (var volume in rack2)
            {
                Directory.Move(volume.Config.Path, volume.Config.Path + ".offline");
            }
            await WaitUntilAsync(() => rack2.All(v => !v.IsUsable), "the monitor takes rack2 out of use");
            var oneRack = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "one-rack", ContentBody = "x", StorageClass = S3StorageClass.ReducedRedundancy }));
            Assert.Equal(503, (int)oneRack.StatusCode);
            Assert.Contains("racks", oneRack.Message);
            Assert.Null(await gateway.Host.Data.Store.GetObjectAsync(bucket, "one-rack", default));
            // Data with all its copies in the offline racks is unavailable: a 503, never wrong bytes.
            var unavailable = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "medium.bin"));
            Assert.Equal(503, (int)unavailable.StatusCode);
        }
        finally
        {
            foreach (var volume in rack2.Where(v => Directory.Exists(v.Config.Path + ".offline")))
            {
                Directory.Move(volume.Config.Path + ".offline", volume.Config.Path);
            }
            // New, empty disks in rack3: the operator initialises them with the csr command, beside the running gateway.
            foreach (var volume in rack3)
            {
                var readmit = await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "csr.dll"), "volume", "readmit", volume.Id, "--data", gateway.DataDirectory]);
                Assert.True(readmit.ExitCode == 0 && readmit.Stdout.Contains("re-admitted"), readmit.ToString());
            }
            await WaitUntilAsync(() => gateway.Host.Data.Volumes.All(v => v.IsUsable), "every volume is back in use");
        }

        // rack2 came back with its shards: everything reads again, and writes keep the rule again.
        foreach (var (name, bytes) in files)
        {
            using var get = await s3.GetObjectAsync(bucket, name);
            using var ms = new MemoryStream();
            await get.ResponseStream.CopyToAsync(ms);
            Assert.True(Same(bytes, ms.ToArray()), $"{name} read back wrong after the racks returned");
        }
        // The new rack3 disks came back empty: the healer (woken by their return) restores every shard.
        var volumes = gateway.Host.Data.Volumes.ToDictionary(v => v.Id);
        // Null when every object is at full redundancy, else what is missing.
        async Task<string?> MissingAsync()
        {
            foreach (var name in files.Keys)
            {
                var record = (await gateway.Host.Data.Store.GetObjectAsync(bucket, name, default))!;
                if (record.Segments.SelectMany(s => s.Shards).FirstOrDefault(s => !File.Exists(volumes[s.VolumeId].BlobPath(s.BlobId))) is { } shard)
                {
                    return $"{name}: shard {shard.BlobId} on {shard.VolumeId}";
                }
                // Small objects are inline: all m + 1 copies must read back again.
                if (record.IsInline())
                {
                    var reads = await Task.WhenAll(record.Manifests.Select(c => gateway.Host.InlineCopies.ReadAsync(c, record, confirmOwner: true, default).AsTask()));
                    if (record.Manifests.Count < record.Segments[0].ParityShards + 1 || reads.Any(r => r.Bytes is null))
                    {
                        return $"{name}: {record.Manifests.Count} copies; {string.Join("; ", reads.Select(r => r.Problem))}";
                    }
                }
            }
            return null;
        }
        await HealerPasses.UntilAsync(gateway.Host.Healer, async () => await MissingAsync() is null, "the healer restores every shard of the objects",
            async () => $"{await MissingAsync()}; queued: {string.Join(" | ", recorder.Requests.Where(r => r.Bucket == bucket).Select(r => $"{r.QueuedAt:HH:mm:ss.fff} {r.Key}: {r.Reason}"))}; " +
                $"returns {string.Join(",", gateway.Host.Data.Volumes.Select(v => v.Id + "=" + v.Returns))}",
            TimeSpan.FromSeconds(90));
        foreach (var name in files.Keys)
        {
            var record = (await gateway.Host.Data.Store.GetObjectAsync(bucket, name, default))!;
            Assert.All(record.Segments, s => Assert.All(s.Shards.GroupBy(shard => volumes[shard.VolumeId].Config.Rack), rack => Assert.True(rack.Count() <= s.ParityShards)));
            if (record.IsInline())
            {
                Assert.All(record.Manifests.GroupBy(c => volumes[c.VolumeId].Config.Rack), rack => Assert.True(rack.Count() <= record.Segments[0].ParityShards));
            }
        }
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "after", ContentBody = "placed by the rule again" });
        var after = (await gateway.Host.Data.Store.GetObjectAsync(bucket, "after", default))!;
        Assert.True(after.IsInline());
        Assert.Equal(3, after.Manifests.Select(c => volumes[c.VolumeId].Config.Rack).Distinct().Count());
    }

    [Fact]
    public async Task SwappedDiskIdentities_AreFencedWhileServing_NotWrittenAndReported()
    {
        var tenant = await gateway.NewTenantAsync();
        var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var body = new byte[300_000];
        Random.Shared.NextBytes(body);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", InputStream = new MemoryStream(body) });

        var rack1 = Rack("rack1");
        var a = Path.Combine(rack1[0].Config.Path, Volume.IdentityFileName);
        var b = Path.Combine(rack1[1].Config.Path, Volume.IdentityFileName);
        var aBytes = await File.ReadAllBytesAsync(a);
        try
        {
            // The two disks of rack1 swapped: each volume now finds the other's identity.
            await File.WriteAllBytesAsync(a, await File.ReadAllBytesAsync(b));
            await File.WriteAllBytesAsync(b, aBytes);
            await WaitUntilAsync(() => rack1.All(v => v.IsFenced), "the monitor fences both swapped volumes");
            Assert.All(rack1, v => Assert.Contains("swapped", v.FencedReason));

            using (var get = await s3.GetObjectAsync(bucket, "k"))
            using (var ms = new MemoryStream())
            {
                await get.ResponseStream.CopyToAsync(ms);
                Assert.Equal(body, ms.ToArray());
            }
            var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "new", ContentBody = "x" }));
            Assert.Equal(503, (int)refused.StatusCode);
            var list = await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "csr.dll"), "volume", "list", "--data", gateway.DataDirectory]);
            Assert.Contains("fenced", list.Stdout + list.Stderr);
        }
        finally
        {
            await File.WriteAllBytesAsync(b, await File.ReadAllBytesAsync(a));
            await File.WriteAllBytesAsync(a, aBytes);
            await WaitUntilAsync(() => gateway.Host.Data.Volumes.All(v => v.IsUsable), "the swapped volumes are back in use");
        }
    }
}
