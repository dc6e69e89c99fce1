using System.Globalization;
using Prometheus;

namespace CloudSecReq.Gateway.Observability;

/// <summary>
/// The gateway's Prometheus metrics (docs/operations.md, "Metrics"): one registry per gateway (tests
/// run several in one process), the per-request counters that <c>S3/S3Dispatcher</c> feeds from one
/// place, and a factory for the gauges that the composition root sets at scrape time
/// (<see cref="OnScrape(Action)"/>) from the components that already count. Labels are bounded and carry no
/// tenant data: operation, status, volume, site, rack; never a bucket, object key or access key.
/// Thread-safe.
/// </summary>
internal sealed class GatewayMetrics
{
    private static readonly string[] s_statusText = Enumerable.Range(0, 600).Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray();

    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Counter _receivedBytes;
    private readonly Counter _sentBytes;

    public GatewayMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        Factory = Metrics.WithCustomRegistry(Registry);
        _requests = Factory.CreateCounter("csr_s3_requests_total", "S3 and KMS API requests answered, by operation and HTTP status.", ["operation", "status"]);
        _duration = Factory.CreateHistogram("csr_s3_request_duration_seconds", "Time from the request's arrival to the end of its response, by operation and HTTP status.",
            ["operation", "status"], new HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _receivedBytes = Factory.CreateCounter("csr_s3_received_bytes_total", "Request body bytes read from clients, by operation.", ["operation"]);
        _sentBytes = Factory.CreateCounter("csr_s3_sent_bytes_total", "Response body bytes written to clients, by operation.", ["operation"]);
    }

    /// <summary>The registry that <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Creates metrics in <see cref="Registry"/> (names start with <c>csr_</c>).</summary>
    public IMetricFactory Factory { get; }

    /// <summary>Runs <paramref name="refresh"/> before every export, to set gauges from live state; it must be quick and must not throw.</summary>
    public void OnScrape(Action refresh) => Registry.AddBeforeCollectCallback(refresh);

    /// <summary>Like <see cref="OnScrape(Action)"/>, for a refresh that awaits (a metadata query); it must not throw.</summary>
    public void OnScrape(Func<CancellationToken, Task> refresh) => Registry.AddBeforeCollectCallback(refresh);

    /// <summary>Counts one answered request. <paramref name="operation"/> is from a fixed set of names (never client text).</summary>
    public void ObserveRequest(string operation, int status, TimeSpan elapsed, long receivedBytes, long sentBytes)
    {
        var statusText = (uint)status < s_statusText.Length ? s_statusText[status] : "other";
        _requests.WithLabels(operation, statusText).Inc();
        _duration.WithLabels(operation, statusText).Observe(elapsed.TotalSeconds);
        if (receivedBytes > 0)
        {
            _receivedBytes.WithLabels(operation).Inc(receivedBytes);
        }
        if (sentBytes > 0)
        {
            _sentBytes.WithLabels(operation).Inc(sentBytes);
        }
    }

    /// <summary>Writes every metric in the Prometheus text format (version 0.0.4).</summary>
    public Task ExportAsync(Stream destination, CancellationToken ct) => Registry.CollectAndExportAsTextAsync(destination, ct);
}
