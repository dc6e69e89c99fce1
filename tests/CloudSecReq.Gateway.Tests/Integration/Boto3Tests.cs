using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// The gateway driven by boto3 (python3 from PATH) over HTTPS. Each scenario is a script under
/// Clients/boto3 that makes its own bucket, prints what it saw as JSON, and fails on any error.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class Boto3Tests(GatewayFixture gateway)
{
    private async Task<JsonElement> RunScenarioAsync(string script, params string[] args)
    {
        var env = gateway.ClientEnvironment(await gateway.NewTenantAsync());
        env["PYTHONDONTWRITEBYTECODE"] = "1"; // no __pycache__ in the source tree
        var r = await ExternalProcess.RunAsync("python3", [ClientScripts.PathOf(Path.Combine("boto3", script)), .. args], env, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, $"{script}\n{r}");
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    [Fact]
    public async Task Boto3PutGet_WithMetadata_RoundTripsBytesMetadataAndHeaders()
    {
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("in.bin", 123_456);
        var r = await RunScenarioAsync("put_get_metadata.py", GatewayFixture.NewBucketName(), dir["in.bin"], dir["out.bin"]);

        Assert.Equal(body, await File.ReadAllBytesAsync(dir["out.bin"]));
        var etag = $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"";
        Assert.Equal(etag, r.GetProperty("PutETag").GetString());
        Assert.Equal(etag, r.GetProperty("GetETag").GetString());
        Assert.Equal("application/x-boto", r.GetProperty("GetContentType").GetString());
        Assert.Equal("no-cache", r.GetProperty("GetCacheControl").GetString());
        foreach (var which in new[] { "GetMetadata", "HeadMetadata" })
        {
            var meta = r.GetProperty(which);
            Assert.Equal("blue", meta.GetProperty("colour").GetString());
            Assert.Equal("ops team", meta.GetProperty("owner").GetString());
        }
        Assert.Equal(body.Length, r.GetProperty("HeadContentLength").GetInt64());
    }

    [Fact]
    public async Task Boto3UploadFile_AboveMultipartThreshold_UploadsInPartsAndDownloadsIdentical()
    {
        using var dir = new ScratchDirectory();
        var (sha256, multipartETag) = dir.WriteRandomLarge("in.bin", 12L * 1024 * 1024, 5 * 1024 * 1024);
        var r = await RunScenarioAsync("upload_file_multipart.py", GatewayFixture.NewBucketName(), dir["in.bin"], dir["out.bin"]);

        // Three parts of 5, 5 and 2 MiB: the ETag says the transfer manager went multipart.
        Assert.Equal(multipartETag, r.GetProperty("ETag").GetString());
        Assert.EndsWith("-3\"", multipartETag);
        Assert.Equal(12L * 1024 * 1024, r.GetProperty("ContentLength").GetInt64());
        Assert.Equal(0, r.GetProperty("OpenUploads").GetInt32());
        Assert.Equal(sha256, ScratchDirectory.Sha256Of(dir["out.bin"]));
    }

    [Fact]
    public async Task Boto3ListObjectsV2Paginator_SmallPages_WalksEveryKeyOnceInOrder()
    {
        var r = await RunScenarioAsync("list_paginator.py", GatewayFixture.NewBucketName());

        var pages = r.GetProperty("Pages").EnumerateArray().ToList();
        Assert.Equal([5, 5, 5, 2], pages.Select(p => p.GetProperty("KeyCount").GetInt32()));
        Assert.Equal([true, true, true, false], pages.Select(p => p.GetProperty("IsTruncated").GetBoolean()));
        var keys = pages.SelectMany(p => p.GetProperty("Keys").EnumerateArray().Select(k => k.GetString())).ToList();
        Assert.Equal(Enumerable.Range(0, 17).Select(i => $"logs/{i:00}.txt"), keys);
        Assert.Equal(["dir/c"], r.GetProperty("DelimitedKeys").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal(["dir/a/", "dir/b/"], r.GetProperty("DelimitedPrefixes").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public async Task Boto3DeleteObjects_MixedBatch_DeletesExistingReportsAllAndKeepsOthers()
    {
        var r = await RunScenarioAsync("delete_objects.py", GatewayFixture.NewBucketName());

        // S3 reports a missing key as deleted, not as an error.
        Assert.Equal(["d/1", "d/2", "never-there"], r.GetProperty("Deleted").EnumerateArray().Select(k => k.GetString()));
        Assert.Empty(r.GetProperty("Errors").EnumerateArray());
        Assert.Empty(r.GetProperty("QuietDeleted").EnumerateArray());
        Assert.Equal(["keep/4"], r.GetProperty("Left").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public async Task Boto3PutObject_FailingPutThenGoodPutOnSameConnection_GoodPutStoresItsBytes()
    {
        // Issue 11: botocore sends Expect: 100-continue and, on an early error, no body; the next
        // request on the pooled connection must not be read as the failed PUT's body.
        var r = await RunScenarioAsync("put_error_then_put.py", GatewayFixture.NewBucketName());

        var results = r.GetProperty("Results").EnumerateArray().ToList();
        Assert.Equal(["NoSuchBucket", "BadDigest", "KeyTooLongError"], results.Select(x => x.GetProperty("Error").GetString()));
        Assert.All(results, x => Assert.True(x.GetProperty("NextPutIntact").GetBoolean(), x.GetProperty("Case").GetString()));
        Assert.Equal(["after-bad-Content-MD5", "after-key-too-long", "after-missing-bucket"], r.GetProperty("Keys").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public async Task Boto3FlexibleChecksums_Sha256AndDefaultCrc32_AreStoredAndReturned()
    {
        using var dir = new ScratchDirectory();
        var body = dir.WriteRandom("in.bin", 300_001);
        var r = await RunScenarioAsync("flexible_checksums.py", GatewayFixture.NewBucketName(), dir["in.bin"], dir["out.bin"]);

        var sha256 = Convert.ToBase64String(SHA256.HashData(body));
        Assert.Equal(sha256, r.GetProperty("PutChecksumSHA256").GetString());
        Assert.Equal(sha256, r.GetProperty("GetChecksumSHA256").GetString());
        Assert.Equal(sha256, r.GetProperty("HeadChecksumSHA256").GetString());
        Assert.Equal(body, await File.ReadAllBytesAsync(dir["out.bin"]));

        var crc32 = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc32, Crc32(body));
        Assert.Equal(Convert.ToBase64String(crc32), r.GetProperty("PutDefaultChecksumCRC32").GetString());
        Assert.Equal(Convert.ToBase64String(crc32), r.GetProperty("GetDefaultChecksumCRC32").GetString());
        Assert.True(r.GetProperty("DefaultBodyMatches").GetBoolean());
    }

    /// <summary>Plain bitwise CRC-32 (IEEE), independent of the gateway's table-driven one.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }
}
