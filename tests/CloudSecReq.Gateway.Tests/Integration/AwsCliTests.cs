using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The gateway driven by the real aws cli (v1, from PATH) over HTTPS: <c>aws s3</c> and <c>aws s3api</c>.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AwsCliTests(GatewayFixture gateway)
{
    // aws cli's default multipart_chunksize; a file above its 8 MiB multipart_threshold goes in parts of this size.
    private const int CliPartBytes = 8 * 1024 * 1024;

    private async Task<Dictionary<string, string>> NewTenantEnvironmentAsync() =>
        gateway.ClientEnvironment(await gateway.NewTenantAsync());

    /// <summary>
    /// aws-cli v1 presigns S3 URLs with Signature Version 2 unless told otherwise; this points
    /// AWS_CONFIG_FILE at a config that asks for SigV4.
    /// </summary>
    private static Dictionary<string, string> WithSigV4Presign(Dictionary<string, string> env, ScratchDirectory dir)
    {
        File.WriteAllText(dir["aws-config"], "[default]\ns3 =\n  signature_version = s3v4\n");
        return new Dictionary<string, string>(env) { ["AWS_CONFIG_FILE"] = dir["aws-config"] };
    }

    /// <summary>Object keys in list-objects-v2 output (the cli drops KeyCount when it paginates).</summary>
    private static string[] Keys(JsonElement listing) =>
        listing.ValueKind == JsonValueKind.Object && listing.TryGetProperty("Contents", out var contents)
            ? [.. contents.EnumerateArray().Select(o => o.GetProperty("Key").GetString()!)]
            : [];

    [Fact]
    public async Task AwsS3_MbCpLsRmRb_RoundTripsSmallFileAndBucket()
    {
        var env = await NewTenantEnvironmentAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("small.bin", 10_000);

        await AwsCli.OkAsync(env, "s3", "mb", $"s3://{bucket}");
        Assert.Contains(bucket, await AwsCli.OkAsync(env, "s3", "ls"));
        await AwsCli.OkAsync(env, "s3", "cp", dir["small.bin"], $"s3://{bucket}/dir/small.bin", "--only-show-errors", "--no-progress");

        var listing = await AwsCli.OkAsync(env, "s3", "ls", $"s3://{bucket}/dir/");
        Assert.Matches(@"\s10000 small\.bin", listing);
        var root = await AwsCli.OkAsync(env, "s3", "ls", $"s3://{bucket}");
        Assert.Contains("PRE dir/", root);

        await AwsCli.OkAsync(env, "s3", "cp", $"s3://{bucket}/dir/small.bin", dir["back.bin"], "--only-show-errors", "--no-progress");
        Assert.Equal(body, await File.ReadAllBytesAsync(dir["back.bin"]));

        await AwsCli.OkAsync(env, "s3", "rm", $"s3://{bucket}/dir/small.bin", "--only-show-errors");
        Assert.Empty(Keys(await AwsCli.JsonAsync(env, "list-objects-v2", "--bucket", bucket)));
        await AwsCli.OkAsync(env, "s3", "rb", $"s3://{bucket}");
        Assert.DoesNotContain(bucket, await AwsCli.OkAsync(env, "s3", "ls"));
        await AwsCli.FailsWithAsync("NoSuchBucket", env, "s3api", "list-objects-v2", "--bucket", bucket);
    }

    [Fact]
    public async Task AwsS3Cp_FileLargerThan100MiB_UploadsInPartsAndDownloadsIdentical()
    {
        var env = await NewTenantEnvironmentAsync();
        var bucket = GatewayFixture.NewBucketName();
        await AwsCli.OkAsync(env, "s3", "mb", $"s3://{bucket}");
        using var dir = new ScratchDirectory();
        const long size = 100L * 1024 * 1024 + 123_457;
        var (sha256, multipartETag) = dir.WriteRandomLarge("big.bin", size, CliPartBytes);

        await AwsCli.OkAsync(env, "s3", "cp", dir["big.bin"], $"s3://{bucket}/big.bin", "--only-show-errors", "--no-progress");
        var head = await AwsCli.JsonAsync(env, "head-object", "--bucket", bucket, "--key", "big.bin");
        Assert.Equal(size, head.GetProperty("ContentLength").GetInt64());
        // 13 parts of 8 MiB: the ETag proves the cli used multipart and the gateway combined the part MD5s.
        Assert.Equal(multipartETag, head.GetProperty("ETag").GetString());

        await AwsCli.OkAsync(env, "s3", "cp", $"s3://{bucket}/big.bin", dir["big.back"], "--only-show-errors", "--no-progress");
        Assert.Equal(size, new FileInfo(dir["big.back"]).Length);
        Assert.Equal(sha256, ScratchDirectory.Sha256Of(dir["big.back"]));
    }

    [Fact]
    public async Task AwsS3Sync_SecondRun_UploadsNothingAndRmRecursiveEmptiesBucket()
    {
        var env = await NewTenantEnvironmentAsync();
        var bucket = GatewayFixture.NewBucketName();
        await AwsCli.OkAsync(env, "s3", "mb", $"s3://{bucket}");
        using var dir = new ScratchDirectory();
        string[] files = ["a.txt", "sub/b.bin", "sub/deeper/c.bin", "space name.txt"];
        var contents = files.ToDictionary(f => f, f => dir.WriteRandom(Path.Combine("up", f), 1000 + f.Length * 977));

        var first = await AwsCli.OkAsync(env, "s3", "sync", dir["up"], $"s3://{bucket}/tree", "--no-progress");
        Assert.Equal(files.Length, first.Split('\n').Count(l => l.StartsWith("upload:", StringComparison.Ordinal)));
        var second = await AwsCli.OkAsync(env, "s3", "sync", dir["up"], $"s3://{bucket}/tree", "--no-progress");
        Assert.Equal("", second.Trim());

        await AwsCli.OkAsync(env, "s3", "sync", $"s3://{bucket}/tree", dir["down"], "--no-progress");
        foreach (var (f, bytes) in contents)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dir["down"], f)));
        }
        Assert.Equal(files.Length, Directory.EnumerateFiles(dir["down"], "*", SearchOption.AllDirectories).Count());

        var removed = await AwsCli.OkAsync(env, "s3", "rm", $"s3://{bucket}/", "--recursive");
        Assert.Equal(files.Length, removed.Split('\n').Count(l => l.StartsWith("delete:", StringComparison.Ordinal)));
        Assert.Empty(Keys(await AwsCli.JsonAsync(env, "list-objects-v2", "--bucket", bucket)));
        await AwsCli.OkAsync(env, "s3", "rb", $"s3://{bucket}");
    }

    [Fact]
    public async Task AwsS3Api_PutGetHeadAndListWithPrefixDelimiter_ReturnWhatWasStored()
    {
        var env = await NewTenantEnvironmentAsync();
        var bucket = GatewayFixture.NewBucketName();
        await AwsCli.JsonAsync(env, "create-bucket", "--bucket", bucket);
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("obj.bin", 70_000);

        var put = await AwsCli.JsonAsync(env, "put-object", "--bucket", bucket, "--key", "docs/2024/report.bin", "--body", dir["obj.bin"],
            "--content-type", "application/x-report", "--metadata", "colour=blue,owner=ops");
        var md5ETag = $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";
        Assert.Equal(md5ETag, put.GetProperty("ETag").GetString());
        // The other keys go in through the SDK: each cli run costs a second or more of start-up.
        using (var s3 = gateway.S3Client(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]))
        {
            foreach (var k in new[] { "docs/2024/summary.txt", "docs/readme.txt", "docs/2025/x.txt", "other/y.txt", "top.txt" })
            {
                await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = k, ContentBody = k });
            }
        }

        var get = await AwsCli.JsonAsync(env, "get-object", "--bucket", bucket, "--key", "docs/2024/report.bin", dir["got.bin"]);
        Assert.Equal(body, await File.ReadAllBytesAsync(dir["got.bin"]));
        Assert.Equal("application/x-report", get.GetProperty("ContentType").GetString());
        Assert.Equal("blue", get.GetProperty("Metadata").GetProperty("colour").GetString());
        Assert.Equal("ops", get.GetProperty("Metadata").GetProperty("owner").GetString());

        var head = await AwsCli.JsonAsync(env, "head-object", "--bucket", bucket, "--key", "docs/2024/report.bin");
        Assert.Equal(body.Length, head.GetProperty("ContentLength").GetInt64());
        Assert.Equal(md5ETag, head.GetProperty("ETag").GetString());
        Assert.Equal("blue", head.GetProperty("Metadata").GetProperty("colour").GetString());

        var list = await AwsCli.JsonAsync(env, "list-objects-v2", "--bucket", bucket, "--prefix", "docs/", "--delimiter", "/");
        Assert.Equal(["docs/readme.txt"], Keys(list));
        Assert.Equal(["docs/2024/", "docs/2025/"], list.GetProperty("CommonPrefixes").EnumerateArray().Select(p => p.GetProperty("Prefix").GetString()));
        var all = await AwsCli.JsonAsync(env, "list-objects-v2", "--bucket", bucket, "--page-size", "2");
        Assert.Equal(["docs/2024/report.bin", "docs/2024/summary.txt", "docs/2025/x.txt", "docs/readme.txt", "other/y.txt", "top.txt"],
            Keys(all));

        await AwsCli.FailsWithAsync("NoSuchKey", env, "s3api", "get-object", "--bucket", bucket, "--key", "docs/missing", dir["missing.bin"]);
    }

    [Fact]
    public async Task AwsS3Api_MultipartUploadInTwoParts_CompletesAndConcatenates()
    {
        var env = await NewTenantEnvironmentAsync();
        var bucket = GatewayFixture.NewBucketName();
        await AwsCli.JsonAsync(env, "create-bucket", "--bucket", bucket);
        using var dir = new ScratchDirectory();
        var part1 = dir.WriteRandom("p1", 5 * 1024 * 1024);
        var part2 = dir.WriteRandom("p2", 4321);

        var uploadId = (await AwsCli.JsonAsync(env, "create-multipart-upload", "--bucket", bucket, "--key", "mp.bin")).GetProperty("UploadId").GetString()!;
        var etag1 = (await AwsCli.JsonAsync(env, "upload-part", "--bucket", bucket, "--key", "mp.bin", "--upload-id", uploadId, "--part-number", "1", "--body", dir["p1"])).GetProperty("ETag").GetString();
        var etag2 = (await AwsCli.JsonAsync(env, "upload-part", "--bucket", bucket, "--key", "mp.bin", "--upload-id", uploadId, "--part-number", "2", "--body", dir["p2"])).GetProperty("ETag").GetString();
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(part1))}\"", etag1);
        var parts = await AwsCli.JsonAsync(env, "list-parts", "--bucket", bucket, "--key", "mp.bin", "--upload-id", uploadId);
        Assert.Equal([1, 2], parts.GetProperty("Parts").EnumerateArray().Select(p => p.GetProperty("PartNumber").GetInt32()));

        await File.WriteAllTextAsync(dir["parts.json"], JsonSerializer.Serialize(new { Parts = new[] { new { ETag = etag1, PartNumber = 1 }, new { ETag = etag2, PartNumber = 2 } } }));
        var done = await AwsCli.JsonAsync(env, "complete-multipart-upload", "--bucket", bucket, "--key", "mp.bin", "--upload-id", uploadId, "--multipart-upload", "file://" + dir["parts.json"]);
        var md5s = MD5.HashData(part1).Concat(MD5.HashData(part2)).ToArray();
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(md5s))}-2\"", done.GetProperty("ETag").GetString());
        Assert.Equal("mp.bin", done.GetProperty("Key").GetString());

        await AwsCli.JsonAsync(env, "get-object", "--bucket", bucket, "--key", "mp.bin", dir["mp.back"]);
        Assert.Equal(part1.Concat(part2).ToArray(), await File.ReadAllBytesAsync(dir["mp.back"]));
        await AwsCli.FailsWithAsync("NoSuchUpload", env, "s3api", "list-parts", "--bucket", bucket, "--key", "mp.bin", "--upload-id", uploadId);
    }

    [Fact]
    public async Task AwsS3Presign_FreshUrl_FetchesObjectWithPlainHttpClient()
    {
        var env = await NewTenantEnvironmentAsync();
        var bucket = GatewayFixture.NewBucketName();
        await AwsCli.OkAsync(env, "s3", "mb", $"s3://{bucket}");
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("p.bin", 33_333);
        await AwsCli.OkAsync(env, "s3", "cp", dir["p.bin"], $"s3://{bucket}/shared/p q.bin", "--only-show-errors", "--no-progress");

        using var http = gateway.HttpClient();
        // The cli's default (SigV2) URL is refused with the reason, not taken as anonymous.
        var v2 = (await AwsCli.OkAsync(env, "s3", "presign", $"s3://{bucket}/shared/p q.bin", "--expires-in", "300")).Trim();
        Assert.Contains("Signature=", v2);
        using (var refused = await http.GetAsync(v2))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("InvalidRequest", ErrorCode(await refused.Content.ReadAsStringAsync()));
        }

        var url = (await AwsCli.OkAsync(WithSigV4Presign(env, dir), "s3", "presign", $"s3://{bucket}/shared/p q.bin", "--expires-in", "300")).Trim();
        Assert.StartsWith(gateway.Endpoint.ToString().TrimEnd('/'), url);
        Assert.Contains("X-Amz-Signature=", url);
        using var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());

        // The signature covers the path: the same query on another key is refused.
        var other = url.Replace("p%20q.bin", "other.bin", StringComparison.Ordinal);
        Assert.NotEqual(url, other);
        using var forged = await http.GetAsync(other);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", ErrorCode(await forged.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task AwsS3Presign_ExpiredUrl_AnswersAccessDenied()
    {
        var env = await NewTenantEnvironmentAsync();
        var bucket = GatewayFixture.NewBucketName();
        await AwsCli.OkAsync(env, "s3", "mb", $"s3://{bucket}");
        using var dir = new ScratchDirectory();
        dir.WriteRandom("e.bin", 100);
        await AwsCli.OkAsync(env, "s3", "cp", dir["e.bin"], $"s3://{bucket}/e.bin", "--only-show-errors", "--no-progress");

        var url = (await AwsCli.OkAsync(WithSigV4Presign(env, dir), "s3", "presign", $"s3://{bucket}/e.bin", "--expires-in", "1")).Trim();
        Assert.Contains("X-Amz-Expires=1&", url);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using var http = gateway.HttpClient();
        using var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.StartsWith("application/xml", response.Content.Headers.ContentType?.MediaType);
        var error = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("AccessDenied", error.Element("Code")?.Value);
        Assert.Equal("Request has expired", error.Element("Message")?.Value);
    }

    private static string? ErrorCode(string xml) => XDocument.Parse(xml).Root?.Element("Code")?.Value;
}
