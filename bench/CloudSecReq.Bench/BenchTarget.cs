using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using CloudSecReq.Gateway.Hosting;

namespace CloudSecReq.Bench;

/// <summary>
/// Where the load goes: an endpoint with credentials, and in self-host mode the in-process gateway
/// that serves it (on a temp data dir that disposing deletes).
/// </summary>
internal sealed class BenchTarget : IAsyncDisposable
{
    private BenchTarget(Uri endpoint, string accessKeyId, string secret, string? caPath, string region, GatewayHost? host, string? tempDirectory)
    {
        Endpoint = endpoint;
        AccessKeyId = accessKeyId;
        Secret = secret;
        CaPath = caPath;
        Region = region;
        Host = host;
        TempDirectory = tempDirectory;
    }

    public Uri Endpoint { get; }
    public string AccessKeyId { get; }
    public string Secret { get; }
    public string? CaPath { get; }
    public string Region { get; }
    /// <summary>The in-process gateway in self-host mode; null otherwise.</summary>
    public GatewayHost? Host { get; }
    public string? TempDirectory { get; }

    public static async Task<BenchTarget> OpenAsync(BenchOptions options, CancellationToken ct)
    {
        if (options.SelfHost)
        {
            var dir = Path.Combine(Path.GetTempPath(), "csr-bench-" + Guid.NewGuid().ToString("N")[..12]);
            var host = await GatewayHost.StartAsync(new GatewayOptions
            {
                DataDirectory = dir,
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                PlainHttp = options.PlainHttp,
                CreateDefaultTenant = false,
                QuietConsole = true,
            }, ct);
            var tenant = await host.Data.Tenants.CreateTenantAsync("bench", ct);
            return new BenchTarget(host.Endpoint, tenant.AccessKeyId, tenant.SecretAccessKey,
                options.PlainHttp ? null : host.CaBundlePath, host.Data.Config.Region, host, dir);
        }

        var env = options.EnvFile is { } file ? ReadEnvFile(file) : new Dictionary<string, string>();
        string? Pick(string? flag, string name) =>
            flag ?? (env.TryGetValue(name, out var v) ? v : null) ?? Environment.GetEnvironmentVariable(name);
        var endpoint = Pick(options.Endpoint, "AWS_ENDPOINT_URL") ?? throw new ArgumentException("No endpoint: give --endpoint, --env or --self-host.");
        var accessKey = Pick(options.AccessKey, "AWS_ACCESS_KEY_ID") ?? throw new ArgumentException("No access key: give --access-key or --env.");
        var secret = Pick(options.Secret, "AWS_SECRET_ACCESS_KEY") ?? throw new ArgumentException("No secret: give --secret or --env.");
        var ca = Pick(options.CaPath, "AWS_CA_BUNDLE");
        var region = Pick(options.Region, "AWS_REGION") ?? "us-east-1";
        return new BenchTarget(new Uri(endpoint), accessKey, secret, string.IsNullOrEmpty(ca) ? null : ca, region, null, null);
    }

    /// <summary>
    /// The one shared client: no retries (an error is counted, not hidden), path style, the
    /// gateway's CA. <paramref name="noChecksum"/> limits flexible checksums to where S3 requires them.
    /// </summary>
    public AmazonS3Client CreateClient(bool noChecksum)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = Endpoint.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = Region,
            HttpClientFactory = new TrustingHttpClientFactory(CaPath),
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromMinutes(30),
        };
        if (noChecksum)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        return new AmazonS3Client(new BasicAWSCredentials(AccessKeyId, Secret), config);
    }

    /// <summary>Reads <c>export NAME=value</c> lines (the format of the gateway's tenant-default.env).</summary>
    private static Dictionary<string, string> ReadEnvFile(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }
            var eq = line.IndexOf('=');
            if (eq <= 0 || line.StartsWith('#'))
            {
                continue;
            }
            values[line[..eq]] = line[(eq + 1)..].Trim('"', '\'');
        }
        return values;
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
        if (TempDirectory is not null)
        {
            try
            {
                Directory.Delete(TempDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
