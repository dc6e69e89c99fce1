using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.S3.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// /health/live, /health/ready and /metrics on the test gateway's HTTPS listener (issue 13,
/// "Observability"), read with plain HTTP requests; the metrics are parsed by Debian's
/// python3-prometheus-client.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OperatorEndpointTests(GatewayFixture gateway)
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string? bearer = null)
    {
        using var http = gateway.HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.Endpoint, path));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private string MetricsToken => File.ReadAllText(gateway.Host.MetricsTokenPath!).Trim();

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value, string Type);

    /// <summary>Scrapes /metrics and parses it with the Debian Prometheus client's parser.</summary>
    private async Task<(string Text, List<Sample> Samples)> ScrapeAsync()
    {
        var (status, text) = await GetAsync("/metrics", MetricsToken);
        Assert.Equal(HttpStatusCode.OK, status);
        // Debian's package installs for Debian's python3, which PATH may not lead to (pyenv).
        var parsed = await ExternalProcess.RunAsync("/usr/bin/python3", [ClientScripts.PathOf(Path.Combine("prometheus", "parse_metrics.py"))], stdin: text, timeout: TimeSpan.FromMinutes(1));
        Assert.True(parsed.ExitCode == 0, parsed.ToString());
        var samples = JsonSerializer.Deserialize<List<Sample>>(parsed.Stdout, s_json)!;
        return (text, samples);
    }

    private static double Value(List<Sample> samples, string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value);

    [Fact]
    public async Task HealthLive_Unauthenticated_AnswersOkAndNothingElse()
    {
        var (status, body) = await GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok\n", body);
    }

    [Fact]
    public async Task HealthReady_HsmTokenTakenAwayThenReturned_UnreadyThenReady()
    {
        Assert.Equal((HttpStatusCode.OK, "ok\n"), await GetAsync("/health/ready"));
        var tokens = Path.Combine(gateway.DataDirectory, "hsm", "tokens");

        Directory.Move(tokens, tokens + ".away");
        try
        {
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "unready\n"), await GetAsync("/health/ready"));
            Assert.Equal((HttpStatusCode.OK, "ok\n"), await GetAsync("/health/live"));
        }
        finally
        {
            Directory.Move(tokens + ".away", tokens);
        }

        Assert.Equal((HttpStatusCode.OK, "ok\n"), await GetAsync("/health/ready"));
    }

    [Fact]
    public async Task HealthReady_RackAwaySoTheDefaultClassCannotBePlaced_UnreadyUntilItReturns()
    {
        using (new RackAway(gateway, "rack1"))
        {
            // STANDARD is 4+2 over at least 3 racks; two racks are left.
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "unready\n"), await GetAsync("/health/ready"));
        }

        Assert.Equal((HttpStatusCode.OK, "ok\n"), await GetAsync("/health/ready"));
    }

    [Fact]
    public async Task Metrics_WithoutOrWithAWrongToken_Refused()
    {
        var (none, noneBody) = await GetAsync("/metrics");
        var (wrong, wrongBody) = await GetAsync("/metrics", new string('0', 64));

        Assert.Equal(HttpStatusCode.Unauthorized, none);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.DoesNotContain("csr_", noneBody + wrongBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/metrics", MetricsToken)).Status);
    }

    [Fact]
    public async Task Metrics_AfterAPutAndAGet_ParseAndCountTheRequestsAndBytes()
    {
        var tenant = await gateway.NewTenantAsync();
        using var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var payload = new byte[200_000];
        Random.Shared.NextBytes(payload);
        var (_, before) = await ScrapeAsync();

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "secret-name/object", InputStream = new MemoryStream(payload), UseChunkEncoding = false });
        using (var get = await s3.GetObjectAsync(bucket, "secret-name/object"))
        {
            await get.ResponseStream.CopyToAsync(Stream.Null);
        }
        await Assert.ThrowsAnyAsync<Amazon.S3.AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "missing"));
        var (text, after) = await ScrapeAsync();

        double Delta(string name, params (string, string)[] labels) => Value(after, name, labels) - Value(before, name, labels);
        Assert.Equal(1, Delta("csr_s3_requests_total", ("operation", "PutObject"), ("status", "200")));
        Assert.Equal(1, Delta("csr_s3_requests_total", ("operation", "GetObject"), ("status", "200")));
        Assert.Equal(1, Delta("csr_s3_requests_total", ("operation", "GetObject"), ("status", "404")));
        Assert.Equal(1, Delta("csr_s3_request_duration_seconds_count", ("operation", "PutObject"), ("status", "200")));
        Assert.Equal(payload.Length, Delta("csr_s3_received_bytes_total", ("operation", "PutObject")));
        Assert.True(Delta("csr_s3_sent_bytes_total", ("operation", "GetObject")) >= payload.Length);
        // A new bucket's first SSE-S3 PUT makes its bucket key in the HSM (a miss); the GET finds it cached (a hit).
        Assert.True(Delta("csr_bucket_key_cache_misses_total") >= 1);
        Assert.True(Delta("csr_bucket_key_cache_miss_seconds_total") > 0);
        Assert.True(Delta("csr_bucket_key_cache_hits_total") >= 1);
        // Every volume reported with its site and rack; nothing about tenants, buckets or keys.
        foreach (var volume in gateway.Host.Data.Volumes)
        {
            var labels = new[] { ("volume", volume.Id), ("site", volume.Config.Site), ("rack", volume.Config.Rack) };
            Assert.Equal(1, Value(after, "csr_volume_usable", labels));
            Assert.True(Value(after, "csr_volume_capacity_bytes", labels) > 0);
        }
        Assert.Contains(after, s => s.Name == "csr_heal_queued_objects");
        Assert.Contains(after, s => s.Name == "csr_placement_refusals_total");
        Assert.Contains(after, s => s.Name == "csr_overwrite_pending_shard_files");
        Assert.DoesNotContain(bucket, text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-name", text, StringComparison.Ordinal);
        Assert.DoesNotContain(tenant.AccessKeyId, text, StringComparison.Ordinal);
        Assert.All(after.SelectMany(s => s.Labels.Keys).Distinct(), l => Assert.Contains(l, new[] { "operation", "status", "volume", "site", "rack", "le" }));
    }

    [Fact]
    public async Task Metrics_PlacementRefusedWhileARackIsAway_CountsTheRefusal()
    {
        var tenant = await gateway.NewTenantAsync();
        using var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var (_, before) = await ScrapeAsync();

        using (new RackAway(gateway, "rack2"))
        {
            var e = await Assert.ThrowsAsync<Amazon.S3.AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" }));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        }
        var (_, after) = await ScrapeAsync();

        Assert.Equal(1, Value(after, "csr_placement_refusals_total") - Value(before, "csr_placement_refusals_total"));
        Assert.Equal(1, Value(after, "csr_s3_requests_total", ("operation", "PutObject"), ("status", "503")) - Value(before, "csr_s3_requests_total", ("operation", "PutObject"), ("status", "503")));
    }

    [Fact]
    public async Task BucketsNamedHealthAndMetrics_SignedRequests_StillReachS3()
    {
        var tenant = await gateway.NewTenantAsync();
        using var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync("health");
        await s3.PutBucketAsync("metrics");
        try
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "health", Key = "ready", ContentBody = "the tenant's object" });

            // GET /health/ready and GET /metrics, signed: S3's GetObject and ListObjects.
            using (var get = await s3.GetObjectAsync("health", "ready"))
            {
                Assert.Equal("the tenant's object", await new StreamReader(get.ResponseStream).ReadToEndAsync());
            }
            var list = await s3.ListObjectsAsync("metrics");
            Assert.Empty(list.S3Objects ?? []);
            // Unsigned, the same paths are the operator endpoints.
            Assert.Equal((HttpStatusCode.OK, "ok\n"), await GetAsync("/health/ready"));
        }
        finally
        {
            await s3.DeleteObjectAsync("health", "ready");
            await s3.DeleteBucketAsync("health");
            await s3.DeleteBucketAsync("metrics");
        }
    }
}
