using System.Text.Json;
using System.Text.Json.Nodes;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;

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
    /// <summary>
    /// Who may read <c>/metrics</c>: "token" (the default: <c>Authorization: Bearer</c> with the token
    /// in <c>DATA/metrics-token</c>, made 0600 on first start) or "open" (anyone who reaches the
    /// listener). docs/operations.md, "Health and metrics".
    /// </summary>
    public string MetricsAccess { get; init; } = MetricsTokenFile.TokenAccess;
    public List<VolumeConfig> Volumes { get; init; } = [];
    /// <summary>Volumes taken out of service by <c>csr volume wipe</c> (docs/sanitisation.md): never used again, their ids never reused.</summary>
    public List<Sanitisation.RetiredVolume> RetiredVolumes { get; init; } = [];
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
    /// <summary>
    /// Single PUTs and copies of at most this many bytes are stored inline: their sealed bytes travel in
    /// the object's manifest copies (m + 1 of them across racks, group-committed in the volumes' logs)
    /// instead of k + m shard files. 0 stores every object in shard files; at most 8 MiB.
    /// </summary>
    public long InlineObjectBytes { get; init; } = BlobStore.DefaultInlineMaxBytes;

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

    /// <summary>Writes csr.json atomically (see <see cref="WriteAtomically"/>).</summary>
    public void Save(string dataDirectory) =>
        WriteAtomically(dataDirectory, JsonSerializer.SerializeToUtf8Bytes(this, s_json));

    /// <summary>
    /// Appends a volume to csr.json after checking it (<see cref="RefusalToAdd"/>) against the file
    /// as it is now. The file is edited as a JSON tree, so settings this version does not know and
    /// the order of the others are kept, and written atomically. Not safe against another process
    /// editing csr.json at the same moment (the last rename wins).
    /// </summary>
    /// <exception cref="ArgumentException">The volume is refused; the message says why. csr.json is unchanged.</exception>
    public static void AddVolume(string dataDirectory, VolumeConfig volume)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var tree = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} does not hold a JSON object.");
        var current = tree.Deserialize<GatewayConfig>(s_json) ?? throw new InvalidDataException($"{path} is empty.");
        if (current.RefusalToAdd(volume, dataDirectory) is { } refusal)
        {
            throw new ArgumentException(refusal);
        }
        if (tree[nameof(Volumes)] is not JsonArray volumes)
        {
            tree[nameof(Volumes)] = volumes = [];
        }
        volumes.Add(JsonSerializer.SerializeToNode(volume, s_json));
        WriteAtomically(dataDirectory, JsonSerializer.SerializeToUtf8Bytes(tree, s_json));
    }

    /// <summary>
    /// Takes volume <paramref name="volumeId"/> out of <c>Volumes</c> and records it in <c>RetiredVolumes</c>
    /// (or updates its entry there with <paramref name="update"/>), editing csr.json as a JSON tree like
    /// <see cref="AddVolume"/>. Returns the retired entry.
    /// </summary>
    /// <exception cref="ArgumentException">No volume, configured or retired, has that id.</exception>
    public static Sanitisation.RetiredVolume RetireVolume(string dataDirectory, string volumeId, DateTimeOffset now, Func<Sanitisation.RetiredVolume, Sanitisation.RetiredVolume>? update = null)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var tree = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} does not hold a JSON object.");
        var current = tree.Deserialize<GatewayConfig>(s_json) ?? throw new InvalidDataException($"{path} is empty.");
        if (tree[nameof(RetiredVolumes)] is not JsonArray retired)
        {
            tree[nameof(RetiredVolumes)] = retired = [];
        }
        var index = current.RetiredVolumes.FindIndex(v => v.Id == volumeId);
        Sanitisation.RetiredVolume entry;
        if (index >= 0)
        {
            entry = update is null ? current.RetiredVolumes[index] : update(current.RetiredVolumes[index]);
            retired[index] = JsonSerializer.SerializeToNode(entry, s_json);
        }
        else
        {
            var volume = current.Volumes.FindIndex(v => v.Id == volumeId);
            if (volume < 0)
            {
                throw new ArgumentException($"No volume '{volumeId}' is configured in {FileName}.");
            }
            var v = current.Volumes[volume];
            entry = new Sanitisation.RetiredVolume(v.Id, v.Path, v.Site, v.Rack, v.Node, now);
            entry = update is null ? entry : update(entry);
            ((JsonArray)tree[nameof(Volumes)]!).RemoveAt(volume);
            retired.Add(JsonSerializer.SerializeToNode(entry, s_json));
        }
        WriteAtomically(dataDirectory, JsonSerializer.SerializeToUtf8Bytes(tree, s_json));
        return entry;
    }

    /// <summary>
    /// Why <paramref name="volume"/> cannot join the configured volumes, or null when it can: its id
    /// must be new and of lower-case letters, digits, '-' and '_' (at most 32, starting with a letter
    /// or digit, like the default <c>r1v1</c>); its labels non-empty without white space or '/'; its
    /// path (relative paths are under the data directory) neither another volume's, nor inside or
    /// around one, nor the data directory itself.
    /// </summary>
    public string? RefusalToAdd(VolumeConfig volume, string dataDirectory)
    {
        if (!IsVolumeId(volume.Id))
        {
            return $"Volume id '{volume.Id}' is invalid: use 1 to 32 lower-case letters, digits, '-' or '_', starting with a letter or digit.";
        }
        if (Volumes.Any(v => v.Id == volume.Id))
        {
            return $"A volume '{volume.Id}' is already configured in {FileName}.";
        }
        if (RetiredVolumes.Any(v => v.Id == volume.Id))
        {
            return $"Volume id '{volume.Id}' belonged to a retired (wiped) volume; its certificates name it: choose another id.";
        }
        foreach (var (name, value) in new[] { ("site", volume.Site), ("rack", volume.Rack), ("node", volume.Node) })
        {
            if (string.IsNullOrEmpty(value) || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/'))
            {
                return $"The {name} label '{value}' is invalid: it must be non-empty, without white space or '/'.";
            }
        }
        if (string.IsNullOrWhiteSpace(volume.Path))
        {
            return "The volume needs a path.";
        }
        var full = Normalized(Path.Combine(dataDirectory, volume.Path));
        if (full == Normalized(dataDirectory))
        {
            return "A volume cannot be the data directory itself.";
        }
        foreach (var other in ResolvedVolumes(dataDirectory))
        {
            var otherPath = Normalized(other.Path);
            if (full == otherPath)
            {
                return $"Path {full} is already volume '{other.Id}'.";
            }
            if (full.StartsWith(otherPath + "/", StringComparison.Ordinal) || otherPath.StartsWith(full + "/", StringComparison.Ordinal))
            {
                return $"Path {full} is inside or around volume '{other.Id}' ({otherPath}); volumes must not nest.";
            }
        }
        return null;
    }

    private static bool IsVolumeId(string id) =>
        id is { Length: >= 1 and <= 32 } && (char.IsAsciiLetterLower(id[0]) || char.IsAsciiDigit(id[0]))
        && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    private static string Normalized(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    // Temporary file, fsync, rename over csr.json, fsync of the directory: a crash leaves the old or the new file, never a torn one.
    private static void WriteAtomically(string dataDirectory, byte[] json)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".new";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(json);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
        Fsync.Directory(dataDirectory);
    }

    /// <summary>The storage classes as a catalog. Throws <see cref="InvalidOperationException"/> when they are misconfigured.</summary>
    public StorageClassCatalog CreateStorageClassCatalog() => new(StorageClasses, DefaultStorageClass, TenantStorageClasses);

    /// <summary>Volume paths may be relative to the data directory.</summary>
    public IEnumerable<VolumeConfig> ResolvedVolumes(string dataDirectory) =>
        Volumes.Select(v => v with { Path = Path.GetFullPath(Path.Combine(dataDirectory, v.Path)) });
}
