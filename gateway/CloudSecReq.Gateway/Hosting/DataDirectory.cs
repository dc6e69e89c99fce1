using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Metadata.Sqlite;
using CloudSecReq.Gateway.Storage;
using CloudSecReq.Gateway.Tenants;
using CloudSecReq.Kms;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// A gateway's data directory opened for use: configuration, metadata, tenant service and volumes.
/// Both <c>csr serve</c> and the admin subcommands open it this way.
/// Layout: csr.json, meta/metadata.db, hsm/ (the SoftHSM2 token and its PIN file, 0600), kms.db,
/// tls/, volumes/.
/// </summary>
internal sealed class DataDirectory : IAsyncDisposable
{
    private DataDirectory(string path, GatewayConfig config, IMetadataStore store, KmsService kms, TenantService tenants, IReadOnlyList<Volume> volumes)
    {
        Kms = kms;
        Path = path;
        Config = config;
        Store = store;
        Tenants = tenants;
        Volumes = volumes;
    }

    public string Path { get; }
    public GatewayConfig Config { get; }
    public IMetadataStore Store { get; }
    /// <summary>The key management service: the HSM session pool, tenant keys and the platform keys.</summary>
    public KmsService Kms { get; }
    public TenantService Tenants { get; }
    public IReadOnlyList<Volume> Volumes { get; }

    public string DefaultTenantEnvPath => System.IO.Path.Combine(Path, "tenant-default.env");

    public static async Task<DataDirectory> OpenAsync(string path, TimeProvider clock, CancellationToken ct)
    {
        path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(path);
        var config = GatewayConfig.LoadOrCreate(path);
        Directory.CreateDirectory(System.IO.Path.Combine(path, "meta"));
        var store = await SqliteMetadataStore.OpenAsync(System.IO.Path.Combine(path, "meta", "metadata.db"), ct);
        var kmsOptions = KmsOptions.ForDataDirectory(path);
        kmsOptions.Region = config.Region;
        kmsOptions.MinimumPendingWindowDays = config.MinimumKeyDeletionWindowDays;
        KmsService kms;
        try
        {
            kms = KmsService.Open(kmsOptions);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
        var volumes = config.ResolvedVolumes(path).Select(v => Volume.Open(v, clock)).ToList();
        return new DataDirectory(path, config, store, kms, new TenantService(store, new HsmSecretProtector(kms.Secrets), clock), volumes);
    }

    public async ValueTask DisposeAsync()
    {
        Kms.Dispose();
        await Store.DisposeAsync();
    }
}
