using System.Text.RegularExpressions;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The gateway driven by rclone (Debian package) over HTTPS, configured only through environment variables.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RcloneTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Rclone_CopyCheckSyncDelete_KeepsRemoteEqualToLocal()
    {
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var dir = new ScratchDirectory();
        await File.WriteAllTextAsync(dir["rclone.conf"], "");
        var env = new Dictionary<string, string>
        {
            ["RCLONE_CONFIG"] = dir["rclone.conf"],
            ["RCLONE_CONFIG_CSR_TYPE"] = "s3",
            ["RCLONE_CONFIG_CSR_PROVIDER"] = "Other",
            ["RCLONE_CONFIG_CSR_ENV_AUTH"] = "false",
            ["RCLONE_CONFIG_CSR_ACCESS_KEY_ID"] = tenant.AccessKeyId,
            ["RCLONE_CONFIG_CSR_SECRET_ACCESS_KEY"] = tenant.SecretAccessKey,
            ["RCLONE_CONFIG_CSR_ENDPOINT"] = gateway.Endpoint.ToString().TrimEnd('/'),
            ["RCLONE_CONFIG_CSR_REGION"] = "us-east-1",
            ["RCLONE_CONFIG_CSR_FORCE_PATH_STYLE"] = "true",
            // rclone's AWS SDK would try to load AWS_CA_BUNDLE (set on many hosts) into a transport it cannot modify; --ca-cert is used instead.
            ["AWS_CA_BUNDLE"] = "",
        };
        async Task<ExternalProcess.Result> RcloneAsync(params string[] args) =>
            await ExternalProcess.RunAsync("rclone", [.. args, "--ca-cert", gateway.CaBundlePath, "--retries", "1", "--low-level-retries", "1",
                // 5 MiB parts, so that the 12 MiB file goes multipart.
                "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"], env, timeout: TimeSpan.FromMinutes(3));
        async Task<string> OkAsync(params string[] args)
        {
            var r = await RcloneAsync(args);
            Assert.True(r.ExitCode == 0, $"rclone {string.Join(' ', args)}\n{r}");
            return r.Stdout;
        }

        var small = dir.WriteRandom("src/a.txt", 1234);
        dir.WriteRandom("src/sub/b.bin", 50_000);
        dir.WriteRandom("src/sub/deep/big.bin", 12 * 1024 * 1024);

        await OkAsync("mkdir", $"csr:{bucket}");
        Assert.Contains(bucket, await OkAsync("lsd", "csr:"));
        await OkAsync("copy", dir["src"], $"csr:{bucket}/data");
        Assert.Equal(new Dictionary<string, long> { ["data/a.txt"] = 1234, ["data/sub/b.bin"] = 50_000, ["data/sub/deep/big.bin"] = 12 * 1024 * 1024 },
            ParseLs(await OkAsync("ls", $"csr:{bucket}")));
        // check compares sizes and MD5s (for the multipart object, the MD5 rclone stored in its metadata).
        await OkAsync("check", dir["src"], $"csr:{bucket}/data");

        // A changed local file makes check fail: the comparison is real.
        dir.WriteRandom("src/sub/b.bin", 50_000);
        var differs = await RcloneAsync("check", dir["src"], $"csr:{bucket}/data");
        Assert.NotEqual(0, differs.ExitCode);
        Assert.Contains("b.bin", differs.Stderr);

        File.Delete(dir["src/a.txt"]);
        dir.WriteRandom("src/c.txt", 777);
        await OkAsync("sync", dir["src"], $"csr:{bucket}/data");
        await OkAsync("check", dir["src"], $"csr:{bucket}/data");
        Assert.Equal(["data/c.txt", "data/sub/b.bin", "data/sub/deep/big.bin"], ParseLs(await OkAsync("ls", $"csr:{bucket}")).Keys.Order(StringComparer.Ordinal));

        await OkAsync("copy", $"csr:{bucket}/data", dir["back"]);
        foreach (var f in new[] { "c.txt", "sub/b.bin", "sub/deep/big.bin" })
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dir["src"], f)), await File.ReadAllBytesAsync(Path.Combine(dir["back"], f)));
        }
        Assert.NotEqual(small, await File.ReadAllBytesAsync(dir["back/sub/b.bin"]));

        await OkAsync("delete", $"csr:{bucket}/data/sub");
        Assert.Equal(["data/c.txt"], ParseLs(await OkAsync("ls", $"csr:{bucket}")).Keys);
        await OkAsync("purge", $"csr:{bucket}");
        Assert.DoesNotContain(bucket, await OkAsync("lsd", "csr:"));
    }

    /// <summary>Parses <c>rclone ls</c> output: "SIZE PATH" per line.</summary>
    private static Dictionary<string, long> ParseLs(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Regex.Match(l, @"^\s*(\d+) (.+)$"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[2].Value, m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
}
