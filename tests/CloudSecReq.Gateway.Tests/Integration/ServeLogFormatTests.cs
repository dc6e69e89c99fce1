using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// <c>csr serve --log-format json</c> run as its own process (issue 13, "Logs"): the per-request line
/// as one JSON object with named fields, and the banner's pointer to the metrics token.
/// </summary>
public sealed class ServeLogFormatTests
{
    private static string EnvValue(string envFile, string name) =>
        File.ReadAllLines(envFile).Single(l => l.StartsWith($"export {name}=", StringComparison.Ordinal))[$"export {name}=".Length..];

    private static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();

    [Fact]
    public async Task LogFormatJson_PutObject_LogsOneJsonLineWithTheRequestFieldsAndNoSecret()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using var serve = await ServeProcess.StartAsync(data, "--log-format", "json");
        var envFile = Path.Combine(data, "tenant-default.env");
        var secret = EnvValue(envFile, "AWS_SECRET_ACCESS_KEY");
        using (var s3 = new AmazonS3Client(new BasicAWSCredentials(EnvValue(envFile, "AWS_ACCESS_KEY_ID"), secret),
            new AmazonS3Config { ServiceURL = serve.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 }))
        {
            await s3.PutBucketAsync("logs");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "logs", Key = "k", InputStream = new MemoryStream(new byte[1000]), UseChunkEncoding = false });
        }
        await serve.StopAsync();

        var lines = serve.Stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var put = Assert.Single(lines, l => l.GetProperty("Category").GetString() == "CloudSecReq.Gateway.S3.S3Dispatcher"
            && l.GetProperty("State").TryGetProperty("Operation", out var op) && op.GetString() == "PutObject");
        var state = put.GetProperty("State");
        Assert.Matches("^[0-9A-F]{16}$", state.GetProperty("RequestId").GetString());
        Assert.Equal("PUT", Text(state.GetProperty("Method")));
        Assert.Equal("logs", Text(state.GetProperty("Bucket")));
        Assert.Equal("200", Text(state.GetProperty("Status")));
        Assert.Equal("1000", Text(state.GetProperty("BytesIn")));
        Assert.Equal("127.0.0.1", Text(state.GetProperty("ClientAddress")));
        Assert.True(double.Parse(Text(state.GetProperty("ElapsedMs")), System.Globalization.CultureInfo.InvariantCulture) >= 0);
        Assert.Equal("Information", put.GetProperty("LogLevel").GetString());
        Assert.DoesNotContain(secret, serve.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Signature=", serve.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Banner_DefaultMetricsAccess_NamesTheTokenFileButNotTheToken()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using var serve = await ServeProcess.StartAsync(data);
        await serve.StopAsync();

        var tokenFile = Path.Combine(data, "metrics-token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        var token = File.ReadAllText(tokenFile).Trim();
        Assert.Equal(64, token.Length);
        Assert.Contains(tokenFile, serve.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(token, serve.Stdout + serve.Stderr, StringComparison.Ordinal);
    }
}
