using System.Security.Cryptography;
using System.Text.Json;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The gateway driven by the MinIO JavaScript SDK (minio@8 on node) over HTTPS.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MinioJsTests(GatewayFixture gateway)
{
    [Fact]
    public async Task MinioJs_StringAndMultipartBuffer_RoundTripListAndRemove()
    {
        await MinioNodeSdk.EnsureInstalledAsync();
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var dir = new ScratchDirectory();
        const int partBytes = 5 * 1024 * 1024;
        var (sha256, multipartETag) = dir.WriteRandomLarge("big.bin", 12L * 1024 * 1024, partBytes);
        var env = new Dictionary<string, string>
        {
            ["CSR_HOST"] = "127.0.0.1",
            ["CSR_PORT"] = gateway.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AWS_ACCESS_KEY_ID"] = tenant.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = tenant.SecretAccessKey,
            ["NODE_EXTRA_CA_CERTS"] = gateway.CaBundlePath,
        };

        var run = await ExternalProcess.RunAsync("node", [Path.Combine(MinioNodeSdk.Directory, "roundtrip.js"), bucket, dir["big.bin"], dir["big.back"]], env,
            workingDirectory: MinioNodeSdk.Directory, timeout: TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.ToString());
        var r = JsonDocument.Parse(run.Stdout).RootElement;

        Assert.True(r.GetProperty("bucketExists").GetBoolean());
        const string text = "hello from the MinIO SDK ✓";
        Assert.Equal(text, r.GetProperty("getText").GetString());
        var textETag = Convert.ToHexStringLower(MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.Equal(textETag, r.GetProperty("putText").GetProperty("etag").GetString());
        Assert.Equal(textETag, r.GetProperty("textStat").GetProperty("etag").GetString());
        Assert.Equal("green", r.GetProperty("textStat").GetProperty("metaData").GetProperty("colour").GetString());
        Assert.Equal("text/plain; charset=utf-8", r.GetProperty("textStat").GetProperty("metaData").GetProperty("content-type").GetString());

        // minio@8 sends a Buffer in one part, whatever partSize says: a one-part multipart upload.
        var big = await File.ReadAllBytesAsync(dir["big.bin"]);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(MD5.HashData(big))) + "-1", r.GetProperty("putBuffer").GetProperty("etag").GetString());
        Assert.True(r.GetProperty("bufferMatches").GetBoolean());
        // The streamed copy goes in three parts of 5, 5 and 2 MiB (numbered 2, 3, 4 by minio@8); the SDK strips the quotes.
        Assert.Equal(multipartETag.Trim('"'), r.GetProperty("putBig").GetProperty("etag").GetString());
        Assert.Equal(multipartETag.Trim('"'), r.GetProperty("bigStat").GetProperty("etag").GetString());
        Assert.Equal(12L * 1024 * 1024, r.GetProperty("bigStat").GetProperty("size").GetInt64());
        Assert.Equal(sha256, ScratchDirectory.Sha256Of(dir["big.back"]));
        Assert.True(r.GetProperty("rangedMatches").GetBoolean());

        Assert.Equal(["js/big.bin", "js/buffer.bin", "js/hello.txt"], r.GetProperty("listed").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(["js/big.bin", "js/buffer.bin"], r.GetProperty("listedAfterRemove").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("NotFound", r.GetProperty("statAfterRemove").GetString());
    }
}
