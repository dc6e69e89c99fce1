using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Metadata.Sqlite;
using CloudSecReq.Gateway.Storage;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// A gateway's data directory opened for use: configuration, metadata, tenant service and volumes.
/// Both <c>csr serve</c> and the admin subcommands open it this way.
/// Layout: csr.json, meta/metadata.db, keys/platform-secret.key (0600), tls/, volumes/.
/// </summary>
internal sealed class DataDirectory : IAsyncDisposable
{
    private DataDirectory(string path, GatewayConfig config, IMetadataStore store, TenantService tenants, IReadOnlyList<Volume> volumes)
    {
        Path = path;
        Config = config;
        Store = store;
        Tenants = tenants;
        Volumes = volumes;
    }

    public string Path { get; }
    public GatewayConfig Config { get; }
    public IMetadataStore Store { get; }
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
        var protector = FileSecretProtector.OpenOrCreate(System.IO.Path.Combine(path, "keys", "platform-secret.key"));
        var volumes = config.ResolvedVolumes(path).Select(v => Volume.Open(v, clock)).ToList();
        return new DataDirectory(path, config, store, new TenantService(store, protector, clock), volumes);
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
