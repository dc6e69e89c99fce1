using System.Diagnostics;
using System.Globalization;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace CloudSecReq.Gateway.Tests.Integration.Fuzz;

/// <summary>
/// Issue 11: the gateway under generated requests (<see cref="WireFuzzer"/>), over raw TLS
/// connections reused while the gateway keeps them. Every request gets a response below 500 (501
/// NotImplemented and 505 for an unknown HTTP version are answers, not failures) or a closed
/// connection within a deadline; afterwards the gateway still answers, logged no error, and the
/// process has not grown without bound. The suite runs a fixed seed, bounded; bench/fuzz/run.sh runs
/// more, with any seed (CSR_FUZZ_SEED, CSR_FUZZ_REQUESTS, CSR_FUZZ_SECONDS).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class WireFuzzTests(GatewayFixture gateway)
{
    private const int SuiteSeed = 20261207;
    private const int SuiteRequests = 1000;
    private static readonly TimeSpan s_suiteWallTime = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan s_responseDeadline = TimeSpan.FromSeconds(15);
    private const long MaxGrowthBytes = 768L * 1024 * 1024;

    private static int Setting(string name, int suiteValue) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : suiteValue;

    [Fact]
    public async Task Gateway_FuzzedRequestsFromFixedSeed_AnswersEveryOneBelow500AndStaysUp()
    {
        var seed = Setting("CSR_FUZZ_SEED", SuiteSeed);
        var maxRequests = Setting("CSR_FUZZ_REQUESTS", SuiteRequests);
        var wallTime = TimeSpan.FromSeconds(Setting("CSR_FUZZ_SECONDS", (int)s_suiteWallTime.TotalSeconds));
        // To reproduce a failure quickly: generate, but do not send, the requests before CSR_FUZZ_FROM.
        var from = Setting("CSR_FUZZ_FROM", 0);
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kept/existing", ContentBody = "existing" });
        var log = gateway.Log.Start();
        GC.Collect();
        var rssBefore = Process.GetCurrentProcess().WorkingSet64;

        var fuzzer = new WireFuzzer(gateway, tenant, bucket, seed);
        var counts = WireFuzzer.Categories.ToDictionary(c => c, _ => 0);
        var started = TimeProvider.System.GetTimestamp();
        RawHttps? connection = null;
        var recent = new Queue<string>();
        var sent = 0;
        try
        {
            for (; sent < maxRequests && TimeProvider.System.GetElapsedTime(started) < wallTime; sent++)
            {
                var fuzz = fuzzer.Next();
                if (sent < from)
                {
                    continue;
                }
                counts[fuzz.Category]++;
                recent.Enqueue($"{sent} ({fuzz.Category}: {fuzz.Description})");
                if (recent.Count > 6)
                {
                    recent.Dequeue();
                }
                if (connection is null || fuzz.FreshConnection)
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                    }
                    connection = await RawHttps.OpenAsync(gateway);
                }
                RawResponse? response;
                try
                {
                    if (await connection.TrySendAsync(fuzz.Wire) && fuzz.HalfClose)
                    {
                        await connection.ShutdownSendAsync();
                    }
                    response = await connection.ReadResponseAsync(fuzz.Head, s_responseDeadline);
                    while (response is { Status: 100 })
                    {
                        response = await connection.ReadResponseAsync(fuzz.Head, s_responseDeadline);
                    }
                }
                catch (Exception e) when (e is TimeoutException or OperationCanceledException)
                {
                    Assert.Fail($"Fuzz seed {seed}, request {sent} ({fuzz.Category}: {fuzz.Description}): {e.Message}");
                    throw;
                }
                Assert.True(response is null || response.Status < 500 || response is { Status: 501, ErrorCode: "NotImplemented" } || response.Status == 505,
                    $"Fuzz seed {seed}, request {sent} ({fuzz.Category}: {fuzz.Description}): {response}\nVolumes: {string.Join(", ", gateway.Host.Data.Volumes.Select(v => v.Id + " " + v.StateText))}\nRecent requests:\n{string.Join("\n", recent)}\nLast warnings:\n"
                    + string.Join("\n", log.Since().Where(e => e.Level >= LogLevel.Warning).TakeLast(10).Select(e => $"{e.Category}: {e.Message} {e.Exception?.GetType().Name} {e.Exception?.Message}")));
                if (response is null || response.ClosesConnection || fuzz.HalfClose || fuzz.FreshConnection)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        // Still up and serving, with the bytes it stored before.
        using (var get = await s3.GetObjectAsync(bucket, "kept/existing"))
        {
            Assert.Equal("existing", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        }
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "after-fuzz", ContentBody = "alive" });
        await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        var errors = log.Since().Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, $"Fuzz seed {seed}: the gateway logged errors:\n" + string.Join("\n", errors.Select(e => $"{e.Category}: {e.Message} {e.Exception}")));
        GC.Collect();
        var growth = Process.GetCurrentProcess().WorkingSet64 - rssBefore;
        Assert.True(growth < MaxGrowthBytes, $"Fuzz seed {seed}: the process grew by {growth / (1024 * 1024)} MiB over {sent} requests");
        Assert.True(sent - from >= Math.Min(maxRequests - from, 100), $"Fuzz seed {seed}: only {sent} requests in {wallTime.TotalSeconds} s");
        Console.WriteLine($"Fuzz seed {seed}: {sent} requests in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:F1} s ({string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"))})");
    }
}
