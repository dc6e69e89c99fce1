using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace CloudSecReq.Gateway.Placement;

/// <summary>
/// A service level (the value of <c>x-amz-storage-class</c>) and the layout that gives it: k data
/// shards plus m parity shards on k + m distinct volumes, no rack holding more than m of them (so any
/// one rack can be lost), over at least <see cref="MinimumRacks"/> racks. A full-replica layout of r
/// copies is k = 1, m = r - 1. Configured in <c>csr.json</c> (<c>StorageClasses</c>).
/// </summary>
/// <param name="Name">The S3 name, upper case: STANDARD, REDUCED_REDUNDANCY, ...</param>
/// <param name="DataShards">k, at least 1.</param>
/// <param name="ParityShards">m, at least 1 (the number of shards, hence volumes or racks, that may be lost).</param>
/// <param name="MinimumRacks">Fewest distinct racks a plan may use, between 1 and k + m.</param>
/// <param name="AllowedSites">Sites whose volumes may hold the shards; null or empty: any site.</param>
internal sealed partial record StorageClass(string Name, int DataShards, int ParityShards, int MinimumRacks,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? AllowedSites = null)
{
    public const string Standard = "STANDARD";
    public const string ReducedRedundancy = "REDUCED_REDUNDANCY";
    public const string Wide = "WIDE";

    /// <summary>k + m: the number of shards, and of distinct volumes, per object.</summary>
    [JsonIgnore]
    public int TotalShards => DataShards + ParityShards;

    /// <summary>The defaults written to a new <c>csr.json</c>; a new list each call.</summary>
    public static List<StorageClass> Defaults() =>
    [
        // Erasure 4+2: 1.5x raw space; with 2 shards per rack at most, 3 racks are needed anyway.
        new(Standard, 4, 2, 3),
        // Two full copies in two racks (AWS's name; here it means "cheaper to write", not "less safe to a rack loss").
        new(ReducedRedundancy, 1, 1, 2),
        // For big clusters: 8+4 over at least 4 racks (12 volumes, at most 4 per rack).
        new(Wide, 8, 4, 4),
    ];

    /// <summary>Whether shards of this class may go to a volume at <paramref name="site"/>.</summary>
    public bool AllowsSite(string site) => AllowedSites is not { Count: > 0 } || AllowedSites.Contains(site, StringComparer.Ordinal);

    /// <summary>Why this class cannot be used as configured, or null when it is valid.</summary>
    public string? Problem()
    {
        if (string.IsNullOrEmpty(Name) || Name.Length > 64 || !NamePattern().IsMatch(Name))
        {
            return $"storage class name '{Name}' must be 1-64 characters A-Z, 0-9 and _, starting with a letter";
        }
        if (DataShards < 1 || ParityShards < 1)
        {
            return $"storage class {Name}: data shards and parity shards must each be at least 1";
        }
        if (TotalShards > 256)
        {
            return $"storage class {Name}: data + parity shards must not exceed 256";
        }
        if (MinimumRacks < 1 || MinimumRacks > TotalShards)
        {
            return $"storage class {Name}: minimum racks must be between 1 and {TotalShards}";
        }
        return null;
    }

    /// <summary>"STANDARD (4+2, at least 3 racks)" for messages.</summary>
    public string Describe() =>
        $"{Name} ({DataShards}+{ParityShards}, at most {ParityShards} per rack, at least {MinimumRacks} rack{(MinimumRacks == 1 ? "" : "s")}" +
        (AllowedSites is { Count: > 0 } ? $", sites {string.Join(",", AllowedSites)})" : ")");

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$")]
    private static partial Regex NamePattern();
}
