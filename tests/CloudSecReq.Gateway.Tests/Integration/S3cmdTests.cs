using System.Globalization;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The gateway driven by s3cmd (Debian package) over HTTPS, path style, SigV4, certificate checked.</summary>
[Collection(GatewayCollection.Name)]
public sealed class S3cmdTests(GatewayFixture gateway)
{
    [Fact]
    public async Task S3cmd_MbPutGetLsDelRb_RoundTripsSmallAndMultipartFiles()
    {
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var dir = new ScratchDirectory();
        var hostPort = $"127.0.0.1:{gateway.Endpoint.Port}";
        // host_bucket without %(bucket)s: s3cmd then addresses buckets path style.
        await File.WriteAllTextAsync(dir["s3cfg"], string.Join('\n',
            "[default]",
            $"access_key = {tenant.AccessKeyId}",
            $"secret_key = {tenant.SecretAccessKey}",
            $"host_base = {hostPort}",
            $"host_bucket = {hostPort}",
            "bucket_location = us-east-1",
            "use_https = True",
            $"ca_certs_file = {gateway.CaBundlePath}",
            "check_ssl_certificate = True",
            "check_ssl_hostname = True",
            "signature_v2 = False",
            "multipart_chunk_size_mb = 5",
            "max_retries = 1",
            "progress_meter = False",
            ""));
        async Task<ExternalProcess.Result> S3cmdAsync(params string[] args) =>
            await ExternalProcess.RunAsync("s3cmd", ["-c", dir["s3cfg"], "--no-progress", .. args], timeout: TimeSpan.FromMinutes(3));
        async Task<string> OkAsync(params string[] args)
        {
            var r = await S3cmdAsync(args);
            Assert.True(r.ExitCode == 0, $"s3cmd {string.Join(' ', args)}\n{r}");
            return r.Stdout;
        }

        var small = dir.WriteRandom("small.bin", 4321);
        var (bigSha256, bigETag) = dir.WriteRandomLarge("big.bin", 12L * 1024 * 1024, 5 * 1024 * 1024);

        await OkAsync("mb", $"s3://{bucket}");
        Assert.Contains($"s3://{bucket}", await OkAsync("ls"));
        await OkAsync("put", dir["small.bin"], $"s3://{bucket}/dir/small.bin");
        await OkAsync("put", dir["big.bin"], $"s3://{bucket}/dir/big.bin");

        var listing = await OkAsync("ls", $"s3://{bucket}/dir/");
        Assert.Contains($"s3://{bucket}/dir/small.bin", listing);
        Assert.Contains($"s3://{bucket}/dir/big.bin", listing);
        Assert.Contains(" 4321 ", listing);
        Assert.Contains((12 * 1024 * 1024).ToString(CultureInfo.InvariantCulture), listing);
        Assert.Contains("DIR", await OkAsync("ls", $"s3://{bucket}"));
        // s3cmd went multipart (the ETag has 3 part MD5s in it) and recorded the whole file's MD5 in its own metadata.
        using (var s3 = gateway.S3Client(tenant))
        {
            Assert.Equal(bigETag, (await s3.GetObjectMetadataAsync(bucket, "dir/big.bin")).ETag);
        }
        var info = await OkAsync("info", $"s3://{bucket}/dir/big.bin");
        using (var big = File.OpenRead(dir["big.bin"]))
        {
            Assert.Contains($"MD5 sum:   {Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(big))}", info);
        }

        // s3cmd compares what it downloaded with the MD5 it knows (ETag, or its own metadata for multipart).
        await OkAsync("get", $"s3://{bucket}/dir/small.bin", dir["small.back"]);
        await OkAsync("get", $"s3://{bucket}/dir/big.bin", dir["big.back"]);
        Assert.Equal(small, await File.ReadAllBytesAsync(dir["small.back"]));
        Assert.Equal(bigSha256, ScratchDirectory.Sha256Of(dir["big.back"]));

        await OkAsync("del", $"s3://{bucket}/dir/small.bin");
        var after = await OkAsync("ls", $"s3://{bucket}/dir/");
        Assert.DoesNotContain("small.bin", after);
        Assert.Contains("big.bin", after);
        var missing = await S3cmdAsync("get", $"s3://{bucket}/dir/small.bin", dir["missing"]);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr + missing.Stdout);

        var notEmpty = await S3cmdAsync("rb", $"s3://{bucket}");
        Assert.NotEqual(0, notEmpty.ExitCode);
        Assert.Contains("BucketNotEmpty", notEmpty.Stderr + notEmpty.Stdout);
        await OkAsync("del", $"s3://{bucket}/dir/big.bin");
        await OkAsync("rb", $"s3://{bucket}");
        Assert.DoesNotContain($"s3://{bucket}", await OkAsync("ls"));
    }
}
