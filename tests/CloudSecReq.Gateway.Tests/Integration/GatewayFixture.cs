using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using Amazon.S3;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// One real gateway per test collection: HTTPS on 127.0.0.1 with a free port and its own data
/// directory. Tests make their own tenants and buckets so that they never see each other's data.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "csr-test-" + Guid.NewGuid().ToString("N")[..12]);

    internal GatewayHost Host => _host ?? throw new InvalidOperationException("The gateway is not running.");

    public Uri Endpoint => Host.Endpoint;

    /// <summary>What the gateway logged (information and above) since the fixture started.</summary>
    internal LogRecorder Log { get; } = new();

    public string CaBundlePath => Host.CaBundlePath;

    public async Task InitializeAsync()
    {
        // Tests complete key deletions at once instead of after AWS's 7-day minimum.
        // Scrub passes on demand (Scrubber.ScrubNowAsync) read the whole fixture: not at 20 MiB/s.
        GatewayConfig.LoadOrCreate(DataDirectory).With(c => c with { MinimumKeyDeletionWindowDays = 0, ScrubBytesPerSecond = 1L << 30 }).Save(DataDirectory);
        _host = await StartAsync();
    }

    private Task<GatewayHost> StartAsync() => GatewayHost.StartAsync(new GatewayOptions
    {
        DataDirectory = DataDirectory,
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        CreateDefaultTenant = false,
        QuietConsole = true,
        LogSink = Log,
    }, CancellationToken.None);

    /// <summary>
    /// Stops the gateway and starts it again on the same data directory (a new port: make new
    /// clients). Tests of a collection run one at a time, so this is safe inside a test.
    /// </summary>
    internal async Task RestartAsync()
    {
        await Host.DisposeAsync();
        _host = null;
        _host = await StartAsync();
    }

    /// <summary>
    /// Stops the gateway, runs <paramref name="whileStopped"/> on the data directory, and starts the
    /// gateway again (a new port: make new clients), also when the action throws.
    /// </summary>
    internal async Task WhileStoppedAsync(Func<string, Task> whileStopped)
    {
        await Host.DisposeAsync();
        _host = null;
        try
        {
            await whileStopped(DataDirectory);
        }
        finally
        {
            _host = await StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Creates a tenant with a unique name and returns its root credentials.</summary>
    internal Task<NewCredentials> NewTenantAsync(string prefix = "t") =>
        Host.Data.Tenants.CreateTenantAsync($"{prefix}-{Guid.NewGuid():N}"[..24], CancellationToken.None);

    internal Task<NewCredentials> NewUserAsync(string tenantName, UserPolicy policy) =>
        Host.Data.Tenants.CreateUserAsync(tenantName, "u" + Guid.NewGuid().ToString("N")[..10], policy, CancellationToken.None);

    public static string NewBucketName() => "b-" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>An AWSSDK.KeyManagementService client against the gateway's KMS API.</summary>
    internal Amazon.KeyManagementService.AmazonKeyManagementServiceClient KmsClient(NewCredentials c) =>
        new(new BasicAWSCredentials(c.AccessKeyId, c.SecretAccessKey), new Amazon.KeyManagementService.AmazonKeyManagementServiceConfig
        {
            ServiceURL = Endpoint.ToString(),
            AuthenticationRegion = "us-east-1",
            HttpClientFactory = new TrustingHttpClientFactory(CaBundlePath),
            MaxErrorRetry = 0,
        });

    /// <summary>An AWSSDK.S3 client for the given credentials, trusting the gateway's CA.</summary>
    internal AmazonS3Client S3Client(NewCredentials c, bool pathStyle = true) =>
        S3Client(c.AccessKeyId, c.SecretAccessKey, pathStyle);

    /// <param name="pathStyle">
    /// False: virtual-host style against https://s3.localhost:PORT, every name connected to loopback.
    /// </param>
    internal AmazonS3Client S3Client(string accessKeyId, string secret, bool pathStyle = true)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = pathStyle ? Endpoint.ToString() : $"https://s3.localhost:{Endpoint.Port}",
            ForcePathStyle = pathStyle,
            AuthenticationRegion = "us-east-1",
            HttpClientFactory = new TrustingHttpClientFactory(CaBundlePath, resolveToLoopback: !pathStyle),
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromMinutes(5),
        };
        return new AmazonS3Client(new BasicAWSCredentials(accessKeyId, secret), config);
    }

    /// <summary>An HttpClient that trusts exactly the gateway's CA.</summary>
    public HttpClient HttpClient() => new(HttpHandler());

    /// <summary>A handler that trusts exactly the gateway's CA, for a test to adjust before use.</summary>
    internal SocketsHttpHandler HttpHandler() => TrustingHttpClientFactory.Handler(CaBundlePath);

    /// <summary>Environment for command-line clients (aws cli, boto3, rclone, s3cmd, node) run against this gateway.</summary>
    internal Dictionary<string, string> ClientEnvironment(NewCredentials c) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = c.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = c.SecretAccessKey,
        ["AWS_ENDPOINT_URL"] = Endpoint.ToString().TrimEnd('/'),
        ["AWS_CA_BUNDLE"] = CaBundlePath,
        ["AWS_REGION"] = "us-east-1",
        ["AWS_DEFAULT_REGION"] = "us-east-1",
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        ["AWS_PAGER"] = "",
    };

    private sealed class TrustingHttpClientFactory(string caPath, bool resolveToLoopback = false) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(Handler(caPath, resolveToLoopback));

        /// <param name="resolveToLoopback">Connect every host name to 127.0.0.1 (for bucket.s3.localhost without DNS).</param>
        public static SocketsHttpHandler Handler(string caPath, bool resolveToLoopback = false)
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                if (cert is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(cert));
            };
            if (resolveToLoopback)
            {
                handler.ConnectCallback = async (context, ct) =>
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, ct);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                };
            }
            return handler;
        }
    }
}

internal static class FixtureExtensions
{
    public static T With<T>(this T value, Func<T, T> change) => change(value);
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
