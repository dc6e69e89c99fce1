using System.Text.Json;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// The persistent configuration in <c>DATA/csr.json</c>: region, volumes with their labels, storage classes.
/// Written with defaults on first start (six volumes under DATA/volumes over three racks) and
/// edited by operators afterwards.
/// </summary>
internal sealed record GatewayConfig
{
    public const string FileName = "csr.json";
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public string Region { get; init; } = "us-east-1";
    /// <summary>Shortest waiting period ScheduleKeyDeletion accepts (AWS: 7 days; tests lower it).</summary>
    public int MinimumKeyDeletionWindowDays { get; init; } = 7;
    /// <summary>
    /// How long an unwrapped bucket key (and a data key unwrapped through the KMS) stays cached. A key
    /// state change purges this gateway's cache at once; other gateway instances notice within this time.
    /// </summary>
    public int BucketKeyCacheSeconds { get; init; } = 300;
    /// <summary>
    /// Pace of the background overwrite of released space (deleted or replaced blobs, failed writes)
    /// before it is unlinked, so that it does not starve foreground requests; 0 for unlimited.
    /// </summary>
    public long OverwriteBytesPerSecond { get; init; } = GarbageCollector.DefaultOverwriteBytesPerSecond;
    /// <summary>
    /// Pace of the healer's shard reads and writes (rebuilding missing or corrupt shards), so that
    /// foreground requests keep priority; 0 for unlimited.
    /// </summary>
    public long HealBytesPerSecond { get; init; } = Healing.Healer.DefaultHealBytesPerSecond;
    /// <summary>
    /// How often the healer sweeps every object for shards on volumes out of use or missing files
    /// (besides at start and whenever a volume comes back).
    /// </summary>
    public int HealSweepMinutes { get; init; } = Healing.Healer.DefaultSweepMinutes;
    /// <summary>Pace of the scrubber, which verifies every shard's checksums in the background; 0 turns it off.</summary>
    public long ScrubBytesPerSecond { get; init; } = Healing.Scrubber.DefaultScrubBytesPerSecond;
    /// <summary>Shortest time between the starts of two scrub passes over every object.</summary>
    public int ScrubIntervalHours { get; init; } = Healing.Scrubber.DefaultIntervalHours;
    public List<VolumeConfig> Volumes { get; init; } = [];
    /// <summary>Service levels and their layouts (k data + m parity shards, minimum racks, sites); see docs/operations.md.</summary>
    public List<StorageClass> StorageClasses { get; init; } = StorageClass.Defaults();
    /// <summary>The class a write gets when it names none.</summary>
    public string DefaultStorageClass { get; init; } = StorageClass.Standard;
    /// <summary>Tenant name → the only classes that tenant may use; tenants not listed may use every class.</summary>
    public Dictionary<string, List<string>> TenantStorageClasses { get; init; } = [];
    /// <summary>
    /// When the healthy racks cannot keep the placement rule (no rack holds more than m shards), write
    /// anyway with a plan flagged degraded (healed first) instead of refusing. Off by default.
    /// </summary>
    public bool AllowDegradedWrites { get; init; }
    /// <summary>
    /// Shards beyond the k data shards that must be durable before a write succeeds (at most m);
    /// shards that could not be written are rebuilt by the healer.
    /// </summary>
    public int WriteQuorum { get; init; } = 1;

    public static GatewayConfig LoadOrCreate(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            return JsonSerializer.Deserialize<GatewayConfig>(File.ReadAllText(path), s_json)
                ?? throw new InvalidDataException($"{path} is empty.");
        }
        var config = new GatewayConfig
        {
            Volumes = Enumerable.Range(1, 3).SelectMany(rack => Enumerable.Range(1, 2).Select(n =>
            {
                var id = $"r{rack}v{n}";
                return new VolumeConfig(id, Path.Combine("volumes", id), "site1", $"rack{rack}", $"node{rack}");
            })).ToList(),
        };
        Directory.CreateDirectory(dataDirectory);
        config.Save(dataDirectory);
        return config;
    }

    public void Save(string dataDirectory) =>
        File.WriteAllText(Path.Combine(dataDirectory, FileName), JsonSerializer.Serialize(this, s_json));

    /// <summary>The storage classes as a catalog. Throws <see cref="InvalidOperationException"/> when they are misconfigured.</summary>
    public StorageClassCatalog CreateStorageClassCatalog() => new(StorageClasses, DefaultStorageClass, TenantStorageClasses);

    /// <summary>Volume paths may be relative to the data directory.</summary>
    public IEnumerable<VolumeConfig> ResolvedVolumes(string dataDirectory) =>
        Volumes.Select(v => v with { Path = Path.GetFullPath(Path.Combine(dataDirectory, v.Path)) });
}
