using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// <c>csr serve</c> run as its own process with stdout redirected (a service log): what it prints
/// and the modes of what it writes under its data directory (issue 11, "Secrets and files").
/// </summary>
public sealed class ServeCommandTests
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static string EnvValue(string envFile, string name) =>
        File.ReadAllLines(envFile).Single(l => l.StartsWith($"export {name}=", StringComparison.Ordinal))[$"export {name}=".Length..];

    [Fact]
    public async Task ServeBanner_StdoutRedirected_OmitsTheSecretAndNamesTheEnvFile()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using var serve = await ServeProcess.StartAsync(data);
        await serve.StopAsync();

        var envFile = Path.Combine(data, "tenant-default.env");
        Assert.True(File.Exists(envFile), serve.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envFile));
        var secret = EnvValue(envFile, "AWS_SECRET_ACCESS_KEY");
        Assert.True(secret.Length >= 40);
        Assert.DoesNotContain(secret, serve.Stdout);
        Assert.DoesNotContain(secret, serve.Stderr);
        Assert.Contains(EnvValue(envFile, "AWS_ACCESS_KEY_ID"), serve.Stdout); // the access key id is no secret
        Assert.Contains(envFile, serve.Stdout.Split('\n').Single(l => l.Contains("secret access key", StringComparison.Ordinal)));
    }

    /// <summary>Writes what makes files of every kind: inline and sharded objects, a multipart part, tags.</summary>
    private static async Task WriteObjectsAsync(ServeProcess serve, string data)
    {
        var envFile = Path.Combine(data, "tenant-default.env");
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(EnvValue(envFile, "AWS_ACCESS_KEY_ID"), EnvValue(envFile, "AWS_SECRET_ACCESS_KEY")),
            new AmazonS3Config { ServiceURL = serve.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        await s3.PutBucketAsync("modes");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "modes", Key = "small", ContentBody = "small object" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "modes", Key = "large", InputStream = new MemoryStream(new byte[300_000]) });
        var upload = await s3.InitiateMultipartUploadAsync("modes", "parts");
        await s3.UploadPartAsync(new UploadPartRequest { BucketName = "modes", Key = "parts", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[100_000]) });
    }

    private static List<string> Loose(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Prepend(root)
            .Where(p => (File.GetUnixFileMode(p) & GroupOrOther) != 0)
            .Select(p => $"{Path.GetRelativePath(root, p)} {File.GetUnixFileMode(p)}")
            .ToList();

    [Fact]
    public async Task FreshDataDirectory_AfterFirstStartAndWrites_HasNoGroupOrOtherBitsAnywhere()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using var serve = await ServeProcess.StartAsync(data);
        await WriteObjectsAsync(serve, data);

        var whileRunning = Loose(data); // with the databases' -wal and -shm files
        await serve.StopAsync();

        Assert.Contains(Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories), f => f.EndsWith("metadata.db", StringComparison.Ordinal));
        Assert.Contains(Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories), f => f.Contains($"{Path.DirectorySeparatorChar}blobs{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        Assert.True(whileRunning.Count == 0, "group or other bits while running: " + string.Join("; ", whileRunning));
        var stopped = Loose(data);
        Assert.True(stopped.Count == 0, "group or other bits after stop: " + string.Join("; ", stopped));
        Assert.DoesNotContain("was accessible", serve.Stdout); // nothing had to be fixed
    }

    [Fact]
    public async Task LoosenedModes_AtTheNextStart_AreFixedWithOneLogLinePerPath()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using (var first = await ServeProcess.StartAsync(data))
        {
            await WriteObjectsAsync(first, data);
            await first.StopAsync();
        }
        // Volumes added in the data directory (not under volumes/) and outside it are the gateway's too.
        foreach (var (id, path) in new[] { ("d7", "disk7"), ("d8", scratch["disk8"]) })
        {
            var added = await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "csr.dll"), "volume", "add", id, "--path", path, "--site", "site1", "--rack", "rack4", "--node", "node4", "--data", data]);
            Assert.True(added.ExitCode == 0, added.ToString());
        }
        var blob = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).First(f => f.Contains($"{Path.DirectorySeparatorChar}blobs{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var segment = Directory.EnumerateFiles(Path.Combine(data, "volumes", "r1v1", "log")).First(f => !f.EndsWith("lock", StringComparison.Ordinal));
        var loosened = new Dictionary<string, UnixFileMode>
        {
            [Path.Combine(data, "meta", "metadata.db")] = (UnixFileMode)0b110_100_100, // 0644
            [Path.Combine(data, "kms.db")] = (UnixFileMode)0b110_110_110,             // 0666
            [Path.Combine(data, "tenant-default.env")] = (UnixFileMode)0b110_100_000,  // 0640
            [Path.Combine(data, "hsm")] = (UnixFileMode)0b111_101_101,                // 0755
            [Path.Combine(data, "hsm", "user-pin")] = (UnixFileMode)0b110_100_100,
            [Path.Combine(data, "keys")] = (UnixFileMode)0b111_101_000,               // 0750
            [Path.Combine(data, "volumes", "r1v1")] = (UnixFileMode)0b111_111_111,    // 0777
            [blob] = (UnixFileMode)0b110_100_100,
            [segment] = (UnixFileMode)0b110_100_100,
            [Path.Combine(data, "disk7")] = (UnixFileMode)0b111_101_101,
            [Path.Combine(scratch["disk8"], ".csr-volume")] = (UnixFileMode)0b110_100_100,
        };
        foreach (var (path, mode) in loosened)
        {
            File.SetUnixFileMode(path, mode);
        }

        await using var second = await ServeProcess.StartAsync(data);
        await second.StopAsync();

        foreach (var path in loosened.Keys)
        {
            var expected = Directory.Exists(path) ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : UnixFileMode.UserRead | UnixFileMode.UserWrite;
            Assert.Equal(expected, File.GetUnixFileMode(path));
            Assert.Single(second.Stdout.Split('\n'), l => l.Contains(path + " was accessible", StringComparison.Ordinal));
        }
        var remaining = Loose(data).Concat(Loose(scratch["disk8"])).ToList();
        Assert.True(remaining.Count == 0, string.Join("; ", remaining));
        Assert.DoesNotContain("did not make", second.Stdout);
        // Only the loosened paths were reported.
        Assert.Equal(loosened.Count, second.Stdout.Split('\n').Count(l => l.Contains(" was accessible", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Start_InAnEmptyOrAForeignDirectory_TightensOnlyWhatIsItsOwn()
    {
        using var scratch = new ScratchDirectory();
        var open = (UnixFileMode)0b111_101_101; // 0755, as mkdir makes it
        var empty = Directory.CreateDirectory(scratch["empty"], open).FullName;
        File.SetUnixFileMode(empty, open);
        var foreign = Directory.CreateDirectory(scratch["home"], open).FullName;
        File.SetUnixFileMode(foreign, open);
        var notes = Path.Combine(foreign, "notes.txt");
        File.WriteAllText(notes, "someone else's file");
        File.SetUnixFileMode(notes, (UnixFileMode)0b110_100_100);
        var sub = Directory.CreateDirectory(Path.Combine(foreign, "projects"), open).FullName;
        File.SetUnixFileMode(sub, open);

        var warnings = new List<string>();
        foreach (var data in new[] { empty, foreign, foreign }) // the second start in foreign: now a data directory
        {
            await using var serve = await ServeProcess.StartAsync(data);
            await serve.StopAsync();
            warnings.Add(serve.Stdout);
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(empty));
        Assert.Empty(Loose(empty));
        // Not the gateway's: left as they were (the directory itself too, as it holds them).
        Assert.Equal(open, File.GetUnixFileMode(foreign));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(notes));
        Assert.Equal(open, File.GetUnixFileMode(sub));
        Assert.DoesNotContain("did not make", warnings[0]);
        Assert.All(warnings[1..], w => Assert.Contains($"{foreign} holds files the gateway did not make (", w));
        Assert.Equal([foreign, notes, sub], Loose(foreign).Select(l => Path.Combine(foreign, l[..l.IndexOf(' ', StringComparison.Ordinal)]).TrimEnd('.', '/')).Order());
    }

    [Fact]
    public async Task Start_KmsDbPresentButHsmTokenGone_RefusesInsteadOfMakingANewToken()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using (var first = await ServeProcess.StartAsync(data))
        {
            await first.StopAsync();
        }
        Directory.Delete(Path.Combine(data, "hsm"), recursive: true); // a lost or unmounted token

        var second = await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "csr.dll"), "serve", "--data", data, "--listen", "127.0.0.1:0", "--http"],
            timeout: TimeSpan.FromMinutes(1));

        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains("csr serve: The HSM token is missing", second.Stderr);
        Assert.False(Directory.Exists(Path.Combine(data, "hsm")), "a new token was made");
    }
}
