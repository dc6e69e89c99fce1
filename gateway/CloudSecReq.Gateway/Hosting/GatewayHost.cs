using System.Globalization;
using System.Net;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.S3;
using CloudSecReq.Gateway.S3.Handlers;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;
using CloudSecReq.Gateway.Tenants;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// A running gateway: the composition root. Opens the data directory, cleans what interrupted
/// writes left, creates the first tenant on first start, and serves S3 over HTTPS (or plain HTTP on
/// loopback when asked). Dispose to stop.
/// </summary>
internal sealed partial class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _serveLock;

    private GatewayHost(WebApplication app, Microsoft.Win32.SafeHandles.SafeFileHandle serveLock, DataDirectory data, Uri endpoint, NewCredentials? created, Admin.AdminCredentials? createdAdmin)
    {
        CreatedAdminKey = createdAdmin;
        _app = app;
        _serveLock = serveLock;
        Data = data;
        Endpoint = endpoint;
        CreatedDefaultTenant = created;
    }

    /// <summary>How long a client may take to send a request head (Kestrel's RequestHeadersTimeout).</summary>
    internal static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    public DataDirectory Data { get; }
    public Uri Endpoint { get; }
    /// <summary>The default tenant's credentials when this start created it; null otherwise.</summary>
    public NewCredentials? CreatedDefaultTenant { get; }
    /// <summary>The first admin key when this start created it (no admin key existed); null otherwise.</summary>
    public Admin.AdminCredentials? CreatedAdminKey { get; }

    /// <summary>The admin credential store (tests make further admin keys).</summary>
    internal Admin.AdminKeyStore AdminKeys => _app.Services.GetRequiredService<Admin.AdminKeyStore>();

    public string CaBundlePath => TlsCertificates.CaPath(Data.Path);

    /// <summary>The file holding the /metrics bearer token, or null when csr.json opens /metrics to all.</summary>
    public string? MetricsTokenPath => Data.Config.MetricsAccess == MetricsTokenFile.TokenAccess ? MetricsTokenFile.PathIn(Data.Path) : null;

    /// <summary>The bucket key cache (its KMS call count is what the HSM sees of the S3 path).</summary>
    public ServerSideEncryption.BucketKeyCache BucketKeys => _app.Services.GetRequiredService<ServerSideEncryption.BucketKeyCache>();

    /// <summary>The garbage collector (tests run a pass with <see cref="GarbageCollector.CollectNowAsync"/>).</summary>
    internal GarbageCollector Garbage => _app.Services.GetRequiredService<GarbageCollector>();

    internal ServerSideEncryption.SseKeys SseKeys => _app.Services.GetRequiredService<ServerSideEncryption.SseKeys>();

    internal Healing.Healer Healer => _app.Services.GetRequiredService<Healing.Healer>();

    internal Healing.Scrubber Scrubber => _app.Services.GetRequiredService<Healing.Scrubber>();

    internal Healing.HealQueue HealQueue => _app.Services.GetRequiredService<Healing.HealQueue>();

    internal VolumeMonitor VolumeMonitor => _app.Services.GetRequiredService<VolumeMonitor>();

    internal BlobStore Blobs => _app.Services.GetRequiredService<BlobStore>();

    internal Manifests.InlineCopies InlineCopies => _app.Services.GetRequiredService<Manifests.InlineCopies>();

    internal Manifests.CatalogSnapshots CatalogSnapshots => _app.Services.GetRequiredService<Manifests.CatalogSnapshots>();

    /// <exception cref="InvalidOperationException">Another gateway or <c>csr metadata rebuild</c> holds the data directory.</exception>
    public static async Task<GatewayHost> StartAsync(GatewayOptions options, CancellationToken ct)
    {
        if (options.PlainHttp && !IPAddress.IsLoopback(options.Listen.Address))
        {
            throw new ArgumentException("Plain HTTP is only allowed on a loopback address; drop --http or listen on 127.0.0.1.");
        }
        PrivateFiles.RestrictUmask();
        Directory.CreateDirectory(options.DataDirectory, PrivateFiles.DirectoryMode);
        var serveLock = ServeLock.TryAcquire(options.DataDirectory)
            ?? throw new InvalidOperationException($"Another gateway (or `csr metadata rebuild`) is using {Path.GetFullPath(options.DataDirectory)}: {ServeLock.FileName} is locked.");
        try
        {
            return await StartAsync(options, serveLock, ct);
        }
        catch
        {
            serveLock.Dispose();
            throw;
        }
    }

    private static async Task<GatewayHost> StartAsync(GatewayOptions options, Microsoft.Win32.SafeHandles.SafeFileHandle serveLock, CancellationToken ct)
    {
        var clock = TimeProvider.System;
        // Files made by older versions, by hand or restored from a backup may be open to other users
        // (issue 11). Fixed before anything is opened, because SQLite gives a database's new -wal and
        // -shm files the database file's mode; what is created from now on is private (umask 077).
        var loosened = new List<(string Path, string Was, string Now)>();
        void Loosened(string path, string was, string now) => loosened.Add((path, was, now));
        var (own, foreign) = DataDirectory.OwnPaths(options.DataDirectory);
        PrivateFiles.Enforce(own, recursive: true, Loosened);
        if (foreign.Count == 0)
        {
            PrivateFiles.Enforce([options.DataDirectory], recursive: false, Loosened);
        }
        var data = await DataDirectory.OpenAsync(options.DataDirectory, clock, createVolumes: true, initialise: true, ct);
        var metricsAccess = MetricsTokenFile.Load(data.Path, data.Config.MetricsAccess);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.JsonLogs)
        {
            // One JSON object per line: the message and its named fields under "State" (docs/operations.md, "Logs").
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        if (options.QuietConsole)
        {
            builder.Logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, LogLevel.Warning);
        }
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        if (options.LogSink is not null)
        {
            builder.Logging.AddProvider(options.LogSink);
        }
        var certificate = options.PlainHttp ? null : TlsCertificates.LoadOrCreate(data.Path, options.Listen.Address, clock);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // each operation enforces its own limit before reading
            k.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            k.Limits.MaxRequestLineSize = 16 * 1024;
            k.Limits.MaxRequestHeaderCount = 200;
            // Issue 11: a connection that stops sending must be closed, never held (docs/security.md).
            // A request head must arrive whole within 10 s (Kestrel answers 408 and closes): a client
            // that sends half a head holds no connection longer than that.
            k.Limits.RequestHeadersTimeout = RequestHeadersTimeout;
            // An idle keep-alive connection is closed after a minute; SDK pools drop theirs sooner.
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
            // A body (or a response) that trickles below 4 KiB/s after a 10 s grace period ends the
            // request: a Content-Length larger than what the client sends, then silence, closes the
            // connection within seconds instead of holding it (and its buffers) for ever.
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 4096, gracePeriod: TimeSpan.FromSeconds(10));
            k.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 4096, gracePeriod: TimeSpan.FromSeconds(10));
            k.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });

        var services = builder.Services;
        services.AddSingleton(clock);
        services.AddSingleton(data.Store);
        services.AddSingleton(data.Tenants);
        services.AddSingleton(sp => new VolumeLogs(data.Volumes, sp.GetRequiredService<ILoggerFactory>().CreateLogger<VolumeLogs>(), clock));
        var planner = new Placement.PlacementPlanner(data.Config.AllowDegradedWrites);
        services.AddSingleton(sp => new BlobStore(data.Volumes, planner, data.Config.WriteQuorum,
            sp.GetRequiredService<VolumeLogs>(), data.Config.InlineObjectBytes));
        services.AddSingleton(sp => new Manifests.InlineCopies(sp.GetRequiredService<BlobStore>(), data.Manifests));
        services.AddSingleton(sp => new Manifests.ManifestWriter(sp.GetRequiredService<VolumeLogs>(), data.Manifests, planner, clock, sp.GetRequiredService<ILogger<Manifests.ManifestWriter>>()));
        services.AddSingleton(sp => new Manifests.CatalogSnapshots(data.Store, sp.GetRequiredService<Manifests.ManifestWriter>(), Manifests.CatalogSnapshots.DefaultInterval,
            sp.GetRequiredService<ILogger<Manifests.CatalogSnapshots>>()));
        services.AddSingleton(sp => new GarbageCollector(data.Store, sp.GetRequiredService<BlobStore>(), data.Config.OverwriteBytesPerSecond, sp.GetRequiredService<ILogger<GarbageCollector>>(),
            sp.GetRequiredService<VolumeLogs>(), clock));
        services.AddSingleton(sp => new Healing.HealQueue(data.Store, clock, sp.GetRequiredService<ILogger<Healing.HealQueue>>()));
        services.AddSingleton(sp => new VolumeMonitor(data.Volumes, data.RefreshVolume, VolumeMonitor.DefaultInterval, sp.GetRequiredService<ILoggerFactory>().CreateLogger<VolumeMonitor>()));
        services.AddSingleton(new Healing.HealProgress(clock, data.Config.HealBytesPerSecond, data.Config.ScrubBytesPerSecond));
        services.AddSingleton(sp => new Healing.Healer(data.Store, sp.GetRequiredService<BlobStore>(), sp.GetRequiredService<Healing.HealQueue>(),
            sp.GetRequiredService<VolumeMonitor>(), sp.GetRequiredService<GarbageCollector>(), data.StorageClasses, sp.GetRequiredService<Healing.HealProgress>(),
            data.Config.HealBytesPerSecond, TimeSpan.FromMinutes(Math.Max(1, data.Config.HealSweepMinutes)), Healing.HealStatusFile.PathIn(data.Path),
            clock, sp.GetRequiredService<ILogger<Healing.Healer>>(), sp.GetRequiredService<Manifests.ManifestWriter>(), sp.GetRequiredService<Manifests.InlineCopies>()));
        services.AddSingleton(sp => new Healing.Scrubber(data.Store, sp.GetRequiredService<BlobStore>(), sp.GetRequiredService<Manifests.InlineCopies>(), sp.GetRequiredService<Healing.HealQueue>(),
            sp.GetRequiredService<Healing.HealProgress>(), data.Config.ScrubBytesPerSecond, TimeSpan.FromHours(Math.Max(1, data.Config.ScrubIntervalHours)),
            clock, sp.GetRequiredService<ILogger<Healing.Scrubber>>()));
        services.AddSingleton(sp => new Objects.ObjectManifests(sp.GetRequiredService<Manifests.ManifestWriter>(), sp.GetRequiredService<BlobStore>(), sp.GetRequiredService<Manifests.InlineCopies>()));
        services.AddSingleton(sp => new Objects.ObjectWriter(data.Store, sp.GetRequiredService<BlobStore>(), sp.GetRequiredService<ServerSideEncryption.SseKeys>(),
            data.StorageClasses, sp.GetRequiredService<Objects.ObjectManifests>(), sp.GetRequiredService<Healing.HealQueue>(),
            sp.GetRequiredService<GarbageCollector>(), clock));
        services.AddSingleton(sp => new Objects.ObjectReader(data.Store, sp.GetRequiredService<BlobStore>(), sp.GetRequiredService<Manifests.InlineCopies>(), sp.GetRequiredService<ServerSideEncryption.SseKeys>(),
            sp.GetRequiredService<Healing.HealQueue>()));
        services.AddSingleton(sp => new Objects.MultipartUploads(data.Store, sp.GetRequiredService<BlobStore>(), sp.GetRequiredService<ServerSideEncryption.SseKeys>(),
            data.StorageClasses, sp.GetRequiredService<Objects.ObjectWriter>(), sp.GetRequiredService<Objects.ObjectManifests>(), sp.GetRequiredService<Healing.HealQueue>(),
            sp.GetRequiredService<GarbageCollector>(), clock));
        services.AddSingleton(sp => new Objects.ObjectDeleter(data.Store, sp.GetRequiredService<GarbageCollector>()));
        services.AddSingleton(sp => new Objects.ObjectTagger(data.Store, sp.GetRequiredService<Objects.ObjectManifests>(), sp.GetRequiredService<GarbageCollector>()));
        services.AddSingleton(new SigningKeyCache<Principal>(data.Tenants.ResolveAsync, clock));
        services.AddSingleton(sp => new SigV4Verifier(sp.GetRequiredService<SigningKeyCache<Principal>>(), clock, data.Config.Region));
        var adminKeys = new Admin.AdminKeyStore(data.Path, data.Kms.Secrets, clock);
        services.AddSingleton(adminKeys);
        services.AddSingleton(new SigningKeyCache<Admin.AdminPrincipal>(adminKeys.ResolveAsync, clock));
        services.AddSingleton<Admin.AdminApi>();
        services.AddSingleton<Admin.AdminEndpoint>();
        services.AddSingleton(new S3Router(options.Domains));
        services.AddSingleton<S3Authorizer>();
        services.AddSingleton(sp => new Objects.Buckets(data.Store, sp.GetRequiredService<GarbageCollector>(), clock, data.Config.Region));
        services.AddSingleton(new Objects.ObjectListing(data.Store));
        services.AddSingleton(new Objects.ObjectLocations(data.Store, new Placement.ObjectLocator(data.Volumes)));
        services.AddSingleton<BucketHandlers>();
        services.AddSingleton<ObjectHandlers>();
        services.AddSingleton<ListHandlers>();
        services.AddSingleton<MultipartHandlers>();
        services.AddSingleton<TaggingHandlers>();
        services.AddSingleton<LocationHandlers>();
        services.AddSingleton(data.Kms);
        var bucketKeys = new ServerSideEncryption.BucketKeyCache(data.Kms, clock, TimeSpan.FromSeconds(data.Config.BucketKeyCacheSeconds));
        data.Kms.KeyStateChanged += (_, e) => bucketKeys.Purge(e.KeyArn);
        services.AddSingleton(bucketKeys);
        services.AddSingleton<ServerSideEncryption.SseKeys>();
        services.AddSingleton<KmsHost.KmsEndpoint>();
        var metrics = new Observability.GatewayMetrics();
        services.AddSingleton(metrics);
        services.AddSingleton<S3Dispatcher>();
        var app = builder.Build();
        var dispatcher = app.Services.GetRequiredService<S3Dispatcher>();
        ScrapeGauges.Register(metrics, data.Store, app.Services.GetRequiredService<BlobStore>(), app.Services.GetRequiredService<Healing.HealProgress>(), bucketKeys);
        var readiness = new Readiness(data.Store, data.Kms, app.Services.GetRequiredService<BlobStore>(), data.StorageClasses);
        var operatorEndpoints = new Observability.OperatorEndpoints(metrics, metricsAccess, readiness.IsReadyAsync);
        // /health/* and /metrics first, only for unsigned GETs (Observability/OperatorEndpoints.cs); everything else is S3 or KMS.
        var admin = app.Services.GetRequiredService<Admin.AdminEndpoint>();
        // Admin requests are told apart by their SigV4 service (csr-admin), not by a path a bucket could have.
        app.Run(http => Observability.OperatorEndpoints.Claims(http.Request) ? operatorEndpoints.HandleAsync(http)
            : Admin.AdminEndpoint.IsAdminRequest(http.Request) ? admin.HandleAsync(http)
            : dispatcher.HandleAsync(http));

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CloudSecReq.Gateway");
        foreach (var (path, was, now) in loosened)
        {
            ModeTightened(log, path, was, now);
        }
        if (foreign.Count > 0)
        {
            ForeignFiles(log, data.Path, string.Join(", ", foreign.Take(5).Select(Path.GetFileName)) + (foreign.Count > 5 ? ", ..." : ""));
        }
        var monitor = app.Services.GetRequiredService<VolumeMonitor>();
        monitor.CheckNow();
        // The logs are opened (and their locks taken) before the first request; a volume that comes
        // back gets its log opened afresh on first use (VolumeLogs.Find).
        app.Services.GetRequiredService<VolumeLogs>().OpenUsable();
        app.Services.GetRequiredService<Manifests.CatalogSnapshots>().Start();
        var cleaned = app.Services.GetRequiredService<BlobStore>().CleanTemporaryFiles();
        if (cleaned > 0)
        {
            TemporaryFilesRemoved(log, cleaned);
        }
        await app.Services.GetRequiredService<GarbageCollector>().CollectAsync(ct);

        await app.StartAsync(ct);
        // After the listener is up: a heal sweep and scrub pass must not delay serving.
        app.Services.GetRequiredService<Healing.Healer>().Start();
        app.Services.GetRequiredService<Healing.Scrubber>().Start();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address.Replace("[::]", "localhost").Replace("0.0.0.0", "localhost")).Port;
        var host = options.Listen.Address.Equals(IPAddress.Any) || options.Listen.Address.Equals(IPAddress.IPv6Any)
            ? "127.0.0.1"
            : options.Listen.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Listen.Address}]" : options.Listen.Address.ToString();
        var endpoint = new Uri($"{(options.PlainHttp ? "http" : "https")}://{host}:{port.ToString(CultureInfo.InvariantCulture)}");

        NewCredentials? created = null;
        if (options.CreateDefaultTenant && (await data.Store.ListTenantsAsync(ct)).Count == 0)
        {
            created = await data.Tenants.CreateTenantAsync("default", ct);
            DefaultTenantCreated(log, created.AccessKeyId);
        }
        Admin.AdminCredentials? createdAdmin = null;
        if (adminKeys.List().Count == 0)
        {
            createdAdmin = adminKeys.Create("admin");
            AdminKeyCreated(log, createdAdmin.AccessKeyId);
        }
        var gateway = new GatewayHost(app, serveLock, data, endpoint, created, createdAdmin);
        if (created is not null)
        {
            gateway.WriteTenantEnv(created);
        }
        if (createdAdmin is not null)
        {
            gateway.WriteAdminEnv(createdAdmin);
        }
        // Where `csr` admin commands on this host find the running gateway (docs/admin-api.md).
        File.WriteAllText(EndpointFileOf(data.Path), endpoint + "\n");
        Listening(log, endpoint, data.Config.Region, data.Path);
        return gateway;
    }

    /// <summary>Writes DATA/tenant-default.env (0600): shell exports for the aws cli and SDKs.</summary>
    private void WriteTenantEnv(NewCredentials credentials)
    {
        var lines = new List<string>
        {
            $"export AWS_ACCESS_KEY_ID={credentials.AccessKeyId}",
            $"export AWS_SECRET_ACCESS_KEY={credentials.SecretAccessKey}",
            $"export AWS_ENDPOINT_URL={Endpoint.ToString().TrimEnd('/')}",
            $"export AWS_REGION={Data.Config.Region}",
            $"export AWS_DEFAULT_REGION={Data.Config.Region}",
        };
        if (Endpoint.Scheme == "https")
        {
            lines.Add($"export AWS_CA_BUNDLE={CaBundlePath}");
        }
        TlsCertificates.WritePrivate(Data.DefaultTenantEnvPath, string.Join('\n', lines) + "\n");
    }

    /// <summary>DATA/endpoint.url: the running gateway's address, rewritten at each start.</summary>
    public static string EndpointFileOf(string dataDirectory) => Path.Combine(dataDirectory, "endpoint.url");

    /// <summary>Writes DATA/admin.env (0600): the first admin key, for the <c>csr</c> admin commands (docs/admin-api.md).</summary>
    private void WriteAdminEnv(Admin.AdminCredentials credentials) =>
        TlsCertificates.WritePrivate(Data.AdminEnvPath, $"export CSR_ADMIN_ACCESS_KEY_ID={credentials.AccessKeyId}\nexport CSR_ADMIN_SECRET_ACCESS_KEY={credentials.SecretAccessKey}\n");

    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Data.DisposeAsync();
        _serveLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} was accessible to group or others (mode {Was}); set to {Now}.")]
    private static partial void ModeTightened(ILogger log, string path, string was, string now);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Data} holds files the gateway did not make ({Names}): their modes and the directory's are left as they are; keep the data directory for the gateway alone.")]
    private static partial void ForeignFiles(ILogger log, string data, string names);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} temporary files left by interrupted writes.")]
    private static partial void TemporaryFilesRemoved(ILogger log, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first tenant 'default' with access key {AccessKeyId}.")]
    private static partial void DefaultTenantCreated(ILogger log, string accessKeyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first admin key {AccessKeyId}; its secret is in admin.env (0600).")]
    private static partial void AdminKeyCreated(ILogger log, string accessKeyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "CloudSecReq S3 endpoint {Endpoint} (region {Region}, data {Data})")]
    private static partial void Listening(ILogger log, Uri endpoint, string region, string data);
}
