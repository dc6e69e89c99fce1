using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Hosting;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The csr admin command, run as its own process against the running gateway's data directory.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CsrCommandTests(GatewayFixture gateway)
{
    private static readonly string s_csr = Path.Combine(AppContext.BaseDirectory, "csr.dll");

    private Task<ExternalProcess.Result> CsrAsync(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [s_csr, .. args, "--data", gateway.DataDirectory]);

    [Fact]
    public async Task TenantAndUserCreate_PrintCredentialsThatWorkAgainstTheRunningGateway()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var created = await CsrAsync("tenant", "create", name);
        Assert.True(created.ExitCode == 0, created.ToString());
        string Value(string output, string key) => output.Split('\n').Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..].Trim();
        var akid = Value(created.Stdout, "AWS_ACCESS_KEY_ID");
        var secret = Value(created.Stdout, "AWS_SECRET_ACCESS_KEY");
        using var s3 = gateway.S3Client(akid, secret);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);

        var reader = await CsrAsync("user", "create", "--tenant", name, "reader", "--read-only");
        Assert.True(reader.ExitCode == 0, reader.ToString());
        using var readOnly = gateway.S3Client(Value(reader.Stdout, "AWS_ACCESS_KEY_ID"), Value(reader.Stdout, "AWS_SECRET_ACCESS_KEY"));
        Assert.Contains((await readOnly.ListBucketsAsync()).Buckets, b => b.BucketName == bucket);
        var denied = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => readOnly.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "x", ContentBody = "x" }));
        Assert.Equal("AccessDenied", denied.ErrorCode);

        var tenants = await CsrAsync("tenant", "list");
        Assert.Contains(name, tenants.Stdout);
        var users = await CsrAsync("user", "list", "--tenant", name);
        Assert.Contains("reader", users.Stdout);
        Assert.Contains("read-only", users.Stdout);
        Assert.DoesNotContain(secret, tenants.Stdout + users.Stdout);
    }

    [Fact]
    public async Task KeyDependents_ListsObjectsEncryptedUnderTheKey()
    {
        var tenant = await gateway.NewTenantAsync("dep");
        using var s3 = gateway.S3Client(tenant);
        using var kms = gateway.KmsClient(tenant);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "under-key", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key.KeyId });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "sse-s3", ContentBody = "y" });

        var result = await CsrAsync("key", "dependents", "--tenant", tenant.TenantName, key.KeyId);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(key.Arn, result.Stdout);
        Assert.Contains("under-key", result.Stdout);
        Assert.DoesNotContain("sse-s3", result.Stdout);
        Assert.Contains("objects encrypted under it: 1", result.Stdout);
    }

    // Volume tests that change csr.json or move volumes use their own data directory, not the running gateway's.
    private static Task<ExternalProcess.Result> CsrOnAsync(string dataDirectory, params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [s_csr, .. args, "--data", dataDirectory]);

    /// <summary>A data directory made as an operator makes one: the first start of <c>csr serve</c>.</summary>
    private static async Task<string> NewDataDirectoryAsync(ScratchDirectory scratch)
    {
        var data = scratch["data"];
        await using var serve = await ServeProcess.StartAsync(data);
        await serve.StopAsync();
        return data;
    }

    private static string[] LineOf(string output, string volumeId) =>
        output.Split('\n').Single(l => l.StartsWith(volumeId + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task VolumeAdd_NewVolume_ListedWithLabelsAndOkAndHasItsIdentityFile()
    {
        using var scratch = new ScratchDirectory();
        var data = await NewDataDirectoryAsync(scratch);
        var disk = scratch["disk7"];

        var added = await CsrOnAsync(data, "volume", "add", "d7", "--path", disk, "--site", "site2", "--rack", "rack4", "--node", "node7");

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("restart", added.Stdout);
        Assert.True(File.Exists(Path.Combine(disk, ".csr-volume")));
        Assert.Contains("\"d7\"", File.ReadAllText(Path.Combine(data, GatewayConfig.FileName)));
        var list = await CsrOnAsync(data, "volume", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        var line = LineOf(list.Stdout, "d7");
        Assert.Equal(["d7", "site2", "rack4", "node7"], line[..4]);
        Assert.Equal("ok", line[^1]);
        Assert.Equal(7, list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
        var status = await CsrOnAsync(data, "volume", "status", "d7");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("MAC verified", status.Stdout);
    }

    [Fact]
    public async Task VolumeAdd_DuplicateIdOrPath_ExitNonZeroWithAMessageAndLeaveCsrJson()
    {
        using var scratch = new ScratchDirectory();
        var data = await NewDataDirectoryAsync(scratch);
        var before = File.ReadAllText(Path.Combine(data, GatewayConfig.FileName));

        var sameId = await CsrOnAsync(data, "volume", "add", "r1v1", "--path", scratch["other"], "--site", "site1", "--rack", "rack1", "--node", "node1");
        var samePath = await CsrOnAsync(data, "volume", "add", "x1", "--path", Path.Combine(data, "volumes", "r2v1"), "--site", "site1", "--rack", "rack1", "--node", "node1");
        var emptyLabel = await CsrOnAsync(data, "volume", "add", "x2", "--path", scratch["x2"], "--site", "", "--rack", "rack1", "--node", "node1");

        Assert.Equal(1, sameId.ExitCode);
        Assert.Contains("A volume 'r1v1' is already configured", sameId.Stderr);
        Assert.Equal(1, samePath.ExitCode);
        Assert.Contains("is already volume 'r2v1'", samePath.Stderr);
        Assert.NotEqual(0, emptyLabel.ExitCode);
        Assert.Equal(before, File.ReadAllText(Path.Combine(data, GatewayConfig.FileName)));
        Assert.False(Directory.Exists(scratch["other"]));
    }

    [Fact]
    public async Task VolumeList_DirectoryRenamed_ShowsTheVolumeMissingAndDoesNotRecreateIt()
    {
        using var scratch = new ScratchDirectory();
        var data = await NewDataDirectoryAsync(scratch);
        var volume = Path.Combine(data, "volumes", "r2v2");
        Directory.Move(volume, volume + ".away");

        var list = await CsrOnAsync(data, "volume", "list");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("missing: the volume's directory is gone", string.Join(' ', LineOf(list.Stdout, "r2v2")));
        Assert.Equal("ok", LineOf(list.Stdout, "r2v1")[^1]);
        Assert.Contains("r2v2", list.Stderr);
        Assert.False(Directory.Exists(volume));
    }

    [Fact]
    public async Task VolumeStatus_AfterPuts_CountsShardFilesLogSegmentsAndObjectsOnTheVolume()
    {
        var tenant = await gateway.NewTenantAsync("vol");
        using var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "small", ContentBody = "some bytes" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "large", InputStream = new MemoryStream(new byte[200_000]) });
        var small = (await gateway.Host.Data.Store.GetObjectAsync(bucket, "small", default))!;
        var large = (await gateway.Host.Data.Store.GetObjectAsync(bucket, "large", default))!;
        Assert.True(small.IsInline());
        // A volume that holds a copy of the small object and a shard of the large one.
        var volumeId = small.Manifests.Select(m => m.VolumeId).Intersect(large.Segments[0].Shards.Select(s => s.VolumeId)).First();

        var status = await CsrAsync("volume", "status", volumeId);

        Assert.True(status.ExitCode == 0, status.ToString());
        long Number(string label) => long.Parse(status.Stdout.Split('\n').Single(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim().Split(' ')[0]);
        Assert.True(Number("shard files:") > 0, status.Stdout);
        Assert.True(Number("log:") > 0, status.Stdout);
        Assert.True(Number("index:") >= 2, status.Stdout);
        Assert.Contains("state:        ok", status.Stdout);
        var missing = await CsrAsync("volume", "status", "no-such-volume");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No volume 'no-such-volume'", missing.Stderr);
    }

    [Fact]
    public async Task AdminCommands_DirectoryWithoutGatewayData_RefuseAndCreateNothing()
    {
        using var scratch = new ScratchDirectory();
        var empty = Directory.CreateDirectory(scratch["empty"]).FullName;
        var absent = scratch["absent"];
        // A hand-written csr.json (volumes planned before the first start) is not yet a data directory.
        var configOnly = Directory.CreateDirectory(scratch["config-only"]).FullName;
        GatewayConfig.LoadOrCreate(configOnly).Save(configOnly);
        string[][] commands =
        [
            ["tenant", "create", "acme"], ["tenant", "list"], ["user", "create", "--tenant", "acme", "app"], ["user", "list", "--tenant", "acme"],
            ["user", "add-key", "--tenant", "acme", "--user", "app"], ["key", "dependents", "--tenant", "acme", "alias/aws/s3"],
            ["object", "locate", "photos", "a.jpg"], ["volume", "list"], ["volume", "status", "r1v1"], ["volume", "readmit", "r1v1"],
            ["volume", "add", "d7", "--path", scratch["disk7"], "--site", "s", "--rack", "r", "--node", "n"],
            ["heal", "status"], ["scrub", "status"], ["metadata", "rebuild", "--yes"],
        ];

        foreach (var directory in new[] { empty, absent, configOnly })
        {
            var before = Directory.Exists(directory) ? Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order().ToArray() : null;
            foreach (var command in commands)
            {
                var result = await CsrOnAsync(directory, command);
                Assert.True(result.ExitCode == 1, $"csr {string.Join(' ', command)} on {directory}: {result}");
                Assert.Contains($"{directory} is not a CloudSecReq data directory", result.Stderr);
                Assert.Contains("csr serve", result.Stderr);
            }
            Assert.Equal(before, Directory.Exists(directory) ? Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order().ToArray() : null);
            Assert.False(Directory.Exists(scratch["disk7"]));
        }
    }

    [Fact]
    public async Task Errors_UnknownTenantOrCommand_ExitNonZeroWithAMessage()
    {
        var missing = await CsrAsync("user", "list", "--tenant", "no-such-tenant");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No tenant named 'no-such-tenant'", missing.Stderr);
        var usage = await ExternalProcess.RunAsync("dotnet", [s_csr, "tenant", "frobnicate"]);
        Assert.NotEqual(0, usage.ExitCode);
        var help = await ExternalProcess.RunAsync("dotnet", [s_csr, "volume", "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("list", help.Stdout);
        Assert.Contains("readmit", help.Stdout);
        Assert.Contains("add", help.Stdout);
        Assert.Contains("status", help.Stdout);
    }
}
