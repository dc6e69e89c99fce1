using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Bench;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine();
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
var ct = cancel.Token;

await using var target = await BenchTarget.OpenAsync(options, ct);
using var s3 = target.CreateClient(options.NoChecksum);
var bucket = options.Bucket ?? "bench-" + Guid.NewGuid().ToString("N")[..12];
var createdBucket = false;
var existing = (await s3.ListBucketsAsync(ct)).Buckets ?? [];
if (!existing.Any(b => b.BucketName == bucket))
{
    await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, ct);
    createdBucket = true;
}

var sse = await SseSettings.CreateAsync(options.Sse, target, ct);
var limit = options.Count is { } count ? $"count {count}" : $"duration {options.Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
Console.WriteLine($"# CloudSecReq bench {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z");
Console.WriteLine($"endpoint {target.Endpoint} ({(target.Host is null ? "external" : "self-hosted in this process")}), op {options.Op.ToString().ToLowerInvariant()}, {limit}, " +
    $"warmup {options.Warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s, checksums {(options.NoChecksum ? "when required" : "SDK default")}, verify {options.Verify.ToString().ToLowerInvariant()}");
Console.WriteLine($"sse {SseSettings.Name(sse.Mode)}{(sse.KmsKeyArn is { } arn ? " (" + arn + ")" : "")}" + (target.Host is null ? "" :
    $", gateway build {typeof(CloudSecReq.Gateway.Hosting.GatewayHost).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration}" +
    $", bucket key cache lifetime {target.Host.BucketKeys.Lifetime.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"));
Console.WriteLine($"{Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, server GC {System.Runtime.GCSettings.IsServerGC.ToString().ToLowerInvariant()}");
Console.WriteLine();

var runner = new LoadRunner(s3, bucket, options, sse, target.Host is { } host ? () => host.BucketKeys.KmsCalls : null);
var results = new List<RunResult>();
foreach (var (sizeBytes, concurrency) in options.Runs())
{
    if (ct.IsCancellationRequested)
    {
        break;
    }
    var result = await runner.RunAsync(sizeBytes, concurrency, ct);
    results.Add(result);
    foreach (var op in result.Ops)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{op.Name} {ByteSize.Format(sizeBytes)} x{concurrency}: {op.Count} ok, {op.Errors} errors in {op.Elapsed.TotalSeconds:F1}s, {op.OpsPerSecond:F1} ops/s, {op.MegabytesPerSecond:F1} MB/s, " +
            $"p50 {op.LatencyMilliseconds(0.5):F2} ms, p99 {op.LatencyMilliseconds(0.99):F2} ms"));
        foreach (var (message, n) in op.ErrorMessages.OrderByDescending(kv => kv.Value).Take(5))
        {
            Console.Error.WriteLine($"  {n} x {message}");
        }
    }
    foreach (var k in result.KmsCalls.Where(k => k.Phase == "PUT" && k.Operations > 0))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"KMS/HSM calls per 1000 PUTs {ByteSize.Format(sizeBytes)} x{concurrency}: {k.Calls * 1000.0 / k.Operations:F1} ({k.Calls} calls in {k.Operations} PUTs, bucket key cache counter)"));
    }
}

Console.WriteLine();
Console.WriteLine(Report.OpsHeader);
foreach (var r in results)
{
    foreach (var row in Report.OpsRows(r))
    {
        Console.WriteLine(row);
    }
}
Console.WriteLine();
Console.WriteLine(target.Host is null
    ? "Memory of this bench process (client only):"
    : "Memory of this process (gateway and client together; 'bench buffers' is the client's payload and read buffers):");
Console.WriteLine();
Console.WriteLine(Report.MemoryHeader);
foreach (var r in results)
{
    Console.WriteLine(Report.MemoryRow(r));
}
if (target.Host is not null)
{
    Console.WriteLine();
    Console.WriteLine("KMS calls of the gateway's bucket key cache (BucketKeyCache.KmsCalls; each is one HSM operation) during the timed phases" +
        ":");
    Console.WriteLine();
    Console.WriteLine(Report.KmsCallsHeader);
    foreach (var r in results)
    {
        foreach (var row in Report.KmsCallsRows(r, sse.Mode))
        {
            Console.WriteLine(row);
        }
    }
}
if (options.GatewayPid is not null)
{
    Console.WriteLine();
    Console.WriteLine(Report.GatewayMemoryHeader);
    foreach (var r in results)
    {
        Console.WriteLine(Report.GatewayMemoryRow(r));
    }
}

if (!options.Keep && target.Host is null)
{
    await CleanUpAsync(s3, bucket, createdBucket, ct);
}
return results.Any(r => r.Ops.Any(o => o.Errors > 0)) ? 1 : 0;

// Removes what the runs wrote (self-host mode deletes the whole data directory instead).
static async Task CleanUpAsync(IAmazonS3 s3, string bucket, bool deleteBucket, CancellationToken ct)
{
    string? token = null;
    do
    {
        var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "r", ContinuationToken = token }, ct);
        var objectKeys = page.S3Objects?.Select(o => new KeyVersion { Key = o.Key }).ToList() ?? [];
        if (objectKeys.Count > 0)
        {
            await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = objectKeys, Quiet = true }, ct);
        }
        token = page.IsTruncated == true ? page.NextContinuationToken : null;
    }
    while (token is not null);
    if (deleteBucket)
    {
        await s3.DeleteBucketAsync(bucket, ct);
    }
}
