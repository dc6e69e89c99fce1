using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Tests.Integration;
using CloudSecReq.Gateway.Tests.Storage;

namespace CloudSecReq.Gateway.Tests.Sanitisation;

/// <summary>
/// <c>csr volume wipe</c> and the sanitisation certificate (P2 6.2.2.6.1 b, e, f; issue 13), with real
/// parts: a <c>csr serve</c> process, a volume on a loop-mounted ext4 image (root needed, as in
/// <see cref="LoopMountedExt4"/>: without it the test fails), SoftHSM2 signing, the openssl CLI.
/// </summary>
public sealed class VolumeWipeTests
{
    private static readonly string s_csr = Path.Combine(AppContext.BaseDirectory, "csr.dll");

    private static Task<ExternalProcess.Result> CsrAsync(string data, params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [s_csr, .. args, "--data", data], timeout: TimeSpan.FromMinutes(5));

    private static string EnvValue(string file, string name) =>
        File.ReadAllLines(file).Single(l => l.StartsWith($"export {name}=", StringComparison.Ordinal))[$"export {name}=".Length..].Trim();

    private static AmazonS3Client S3Client(ServeProcess serve, string data)
    {
        var env = Path.Combine(data, "tenant-default.env");
        return new AmazonS3Client(new BasicAWSCredentials(EnvValue(env, "AWS_ACCESS_KEY_ID"), EnvValue(env, "AWS_SECRET_ACCESS_KEY")),
            new AmazonS3Config { ServiceURL = serve.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
    }

    // Read from the database file directly: the test process may hold SoftHSM for another data directory.
    private static async Task<long> GarbageOnAsync(string data, string volumeId)
    {
        await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "meta", "metadata.db")};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM garbage WHERE volume_id = $v";
        command.Parameters.AddWithValue("$v", volumeId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Adds volume w1 at <paramref name="volumePath"/> to a fresh data directory, writes objects through a
    /// <c>csr serve</c> process, checks that the wipe refuses while they are live, deletes them, and returns
    /// 64-byte samples of the released shard files left on w1 (all found in the raw image now), the
    /// image as it is, and how many released shard files the metadata lists on w1.
    /// </summary>
    private static async Task<(List<byte[]> Samples, byte[] Before, long Released)> PrepareReleasedShardsAsync(string data, string volumePath, string imagePath)
    {
        await using (var first = await ServeProcess.StartAsync(data))
        {
            await first.StopAsync();
        }
        var added = await CsrAsync(data, "volume", "add", "w1", "--path", volumePath, "--site", "site1", "--rack", "rack4", "--node", "node9");
        Assert.True(added.ExitCode == 0, added.ToString());

        // The background overwrite of released space slowed to 1 byte/s: deleted objects' shard files stay
        // on the volume as garbage (as when a gateway stops before its collector ran), for the wipe to reach.
        var configPath = Path.Combine(data, GatewayConfig.FileName);
        var slow = JsonNode.Parse(File.ReadAllText(configPath))!;
        slow["OverwriteBytesPerSecond"] = 1;
        File.WriteAllText(configPath, slow.ToJsonString());
        var keys = new[] { "o0", "o1", "o2", "o3", "o4", "o5", "small" };

        // Objects through the gateway: 7 volumes for k + m = 6 shards, so most objects have one on w1.
        await using (var serve = await ServeProcess.StartAsync(data))
        {
            using var s3 = S3Client(serve, data);
            await s3.PutBucketAsync("wipe");
            for (var i = 0; i < 6; i++)
            {
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = "wipe", Key = keys[i], InputStream = new MemoryStream(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"plaintext-{i}-", 30_000)))) });
            }
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "wipe", Key = "small", ContentBody = "inline" });
            await serve.StopAsync();
        }
        var csrJson = File.ReadAllText(configPath);
        var live = Directory.GetFiles(Path.Combine(volumePath, "blobs"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(live);

        // Live data on the volume: refused, nothing changed.
        var refused = await CsrAsync(data, "volume", "wipe", "w1");
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("still holds live data", refused.Stderr);
        Assert.Equal(csrJson, File.ReadAllText(configPath));
        Assert.All(live, f => Assert.True(File.Exists(f)));

        await using (var serve = await ServeProcess.StartAsync(data))
        {
            using var s3 = S3Client(serve, data);
            foreach (var key in keys)
            {
                await s3.DeleteObjectAsync("wipe", key);
            }
            await serve.StopAsync();
        }

        // What the volume still holds: released shard files (ciphertext). 64-byte samples of each, at three offsets.
        var shardFiles = Directory.GetFiles(Path.Combine(volumePath, "blobs"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(shardFiles);
        var releasedOnW1 = await GarbageOnAsync(data, "w1");
        Assert.Equal(shardFiles.Length, releasedOnW1);
        var samples = shardFiles.SelectMany(f =>
        {
            var bytes = File.ReadAllBytes(f);
            return new[] { 4096, bytes.Length / 2, bytes.Length - 100 }.Select(o => bytes.AsSpan(o, 64).ToArray());
        }).ToList();
        await ExternalProcess.RunAsync("sync", []);
        var before = await File.ReadAllBytesAsync(imagePath);
        Assert.All(samples, s => Assert.True(StorageScratch.CountOccurrences(before, s) > 0, "the scan must see the shard bytes before the wipe"));
        return (samples, before, releasedOnW1);
    }

    [Fact]
    public async Task Wipe_LoopDeviceVolume_RefusesWhileLiveThenLeavesNoShardByteAndIssuesACertificateThatVerifies()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using var disk = await LoopMountedExt4.CreateAsync(32L * 1024 * 1024);
        var device = disk.Device;
        var (samples, before, releasedOnW1) = await PrepareReleasedShardsAsync(data, disk.MountPoint, disk.ImagePath);

        var wiped = await CsrAsync(data, "volume", "wipe", "w1", "--operator", "Test Operator");

        Assert.True(wiped.ExitCode == 0, wiped.ToString());
        Assert.Contains("wipe: pass 1/1 over " + device, wiped.Stderr);
        Assert.Contains("wipe: verify:", wiped.Stderr);
        await disk.UnmountAsync();
        var after = await File.ReadAllBytesAsync(disk.ImagePath);
        Assert.Equal(before.Length, after.Length);
        Assert.All(samples, s => Assert.Equal(0, StorageScratch.CountOccurrences(after, s)));
        // Random to the last byte: no 4 KiB block left as it was (mkfs wrote zeros or metadata everywhere).
        Assert.DoesNotContain(Enumerable.Range(0, after.Length / 4096), b => after.AsSpan(b * 4096, 4096).SequenceEqual(before.AsSpan(b * 4096, 4096)));

        // Retired: out of Volumes, in RetiredVolumes with its certificate; its garbage forgotten.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(data, GatewayConfig.FileName)))!;
        Assert.DoesNotContain(config["Volumes"]!.AsArray(), v => (string?)v!["Id"] == "w1");
        var retired = config["RetiredVolumes"]!.AsArray().Single()!;
        Assert.Equal("w1", (string?)retired["Id"]);
        var certificateId = (string)retired["CertificateId"]!;
        Assert.Equal(0, await GarbageOnAsync(data, "w1"));
        var again = await CsrAsync(data, "volume", "add", "w1", "--path", scratch["new"], "--site", "site1", "--rack", "rack4", "--node", "node9");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("retired", again.Stderr);

        // The certificate: its fields, csr's verification, openssl's, and a one-byte change refused by both.
        var file = Path.Combine(data, "certificates", certificateId + ".json");
        var certificate = JsonNode.Parse(File.ReadAllText(file))!;
        Assert.Equal("w1", (string?)certificate["volume"]!["id"]);
        Assert.Equal("rack4", (string?)certificate["volume"]!["rack"]);
        Assert.Equal(device, (string?)certificate["media"]!["devicePath"]);
        Assert.Equal(32L * 1024 * 1024, (long)certificate["media"]!["sizeBytes"]!);
        Assert.Equal(disk.ImagePath, (string?)certificate["media"]!["loopBackingFile"]);
        Assert.Equal("Clear", (string?)certificate["sanitisation"]!["level"]);
        Assert.Equal("block-device", (string?)certificate["sanitisation"]!["scope"]);
        Assert.Equal(32L * 1024 * 1024, (long)certificate["verification"]!["bytesVerified"]!);
        Assert.Equal("passed", (string?)certificate["verification"]!["result"]);
        Assert.Equal("Test Operator", (string?)certificate["operator"]!["name"]);
        Assert.Equal(releasedOnW1, (long)certificate["data"]!["releasedShardFilesOverwritten"]!);
        Assert.Null(certificate["data"]!["drainManifestSha256"]);

        var list = await CsrAsync(data, "certificate", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(file, list.Stdout);
        var pem = Path.Combine(scratch.Path, "platform.pem");
        var publicKey = await CsrAsync(data, "certificate", "public-key");
        Assert.True(publicKey.ExitCode == 0, publicKey.ToString());
        await File.WriteAllTextAsync(pem, publicKey.Stdout);
        Assert.Equal(File.ReadAllText(Path.Combine(data, "certificates", "platform-public-key.pem")), publicKey.Stdout);

        var valid = await CsrAsync(data, "certificate", "verify", file);
        Assert.True(valid.ExitCode == 0, valid.ToString());
        var openssl = await ExternalProcess.RunAsync("openssl", ["dgst", "-sha256", "-verify", pem, "-signature", file + ".sig", file]);
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
        Assert.Contains("Verified OK", openssl.Stdout);

        var tampered = Path.Combine(scratch.Path, "tampered.json");
        var bytes = File.ReadAllBytes(file);
        var at = Encoding.ASCII.GetString(bytes).IndexOf("\"rack4\"", StringComparison.Ordinal) + 5;
        bytes[at] = (byte)'5';
        File.WriteAllBytes(tampered, bytes);
        var invalid = await CsrAsync(data, "certificate", "verify", tampered, "--signature", file + ".sig", "--public-key", pem);
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("INVALID", invalid.Stderr);
        var opensslInvalid = await ExternalProcess.RunAsync("openssl", ["dgst", "-sha256", "-verify", pem, "-signature", file + ".sig", tampered]);
        Assert.NotEqual(0, opensslInvalid.ExitCode);
        Assert.Contains("Verification failure", opensslInvalid.Stdout + opensslInvalid.Stderr);
    }

    [Fact]
    public async Task Wipe_VolumeInASubdirectory_OverwritesItsFilesAndTheFreeSpaceAndLeavesNoShardByte()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using var disk = await LoopMountedExt4.CreateAsync(32L * 1024 * 1024);
        var volume = Path.Combine(disk.MountPoint, "volume");
        var (samples, _, releasedOnW1) = await PrepareReleasedShardsAsync(data, volume, disk.ImagePath);
        // Bytes a file held once and left in free space by an ordinary delete: the free-space pass must reach them.
        var leftover = Encoding.ASCII.GetBytes("CSR-LEFTOVER-" + Guid.NewGuid().ToString("N"));
        var leftoverPath = Path.Combine(disk.MountPoint, "leftover.bin");
        await using (var file = new FileStream(leftoverPath, FileMode.CreateNew, FileAccess.Write))
        {
            for (var i = 0; i < 20_000; i++)
            {
                file.Write(leftover);
            }
            file.Flush(flushToDisk: true);
        }
        File.Delete(leftoverPath);
        await ExternalProcess.RunAsync("sync", []);
        Assert.True(StorageScratch.CountOccurrences(await File.ReadAllBytesAsync(disk.ImagePath), leftover) > 0, "the scan must see the deleted file's bytes before the wipe");

        var wiped = await CsrAsync(data, "volume", "wipe", "w1", "--verify", "sample:16");

        Assert.True(wiped.ExitCode == 0, wiped.ToString());
        Assert.Contains("over the free space of " + volume, wiped.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(volume));
        await disk.UnmountAsync();
        var after = await File.ReadAllBytesAsync(disk.ImagePath);
        Assert.All(samples, s => Assert.Equal(0, StorageScratch.CountOccurrences(after, s)));
        Assert.Equal(0, StorageScratch.CountOccurrences(after, leftover));
        var certificateId = (string)JsonNode.Parse(File.ReadAllText(Path.Combine(data, GatewayConfig.FileName)))!["RetiredVolumes"]![0]!["CertificateId"]!;
        var certificate = JsonNode.Parse(File.ReadAllText(Path.Combine(data, "certificates", certificateId + ".json")))!;
        Assert.Equal("files-and-free-space", (string?)certificate["sanitisation"]!["scope"]);
        Assert.Equal(16, (int)certificate["verification"]!["sampleRegions"]!);
        Assert.True((long)certificate["sanitisation"]!["freeSpaceBytes"]! > 16L * 1024 * 1024);
        // The released shard files, the identity file and the volume's log segments.
        Assert.True((long)certificate["sanitisation"]!["filesOverwritten"]! >= releasedOnW1 + 2, certificate.ToJsonString());
        var valid = await CsrAsync(data, "certificate", "verify", Path.Combine(data, "certificates", certificateId + ".json"));
        Assert.True(valid.ExitCode == 0, valid.ToString());
    }

    [Fact]
    public async Task Wipe_WhileTheGatewayServes_RefusesAndChangesNothing()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using var serve = await ServeProcess.StartAsync(data);
        var csrJson = File.ReadAllText(Path.Combine(data, GatewayConfig.FileName));

        var refused = await CsrAsync(data, "volume", "wipe", "r1v1");

        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("A gateway is serving", refused.Stderr);
        Assert.Equal(csrJson, File.ReadAllText(Path.Combine(data, GatewayConfig.FileName)));
        Assert.True(File.Exists(Path.Combine(data, "volumes", "r1v1", ".csr-volume")));
        await serve.StopAsync();
    }
}
