using CloudSecReq.Gateway.Placement;

namespace CloudSecReq.Gateway.Tests.Placement;

/// <summary>Topologies for the planner tests, and the rule checked independently of the planner.</summary>
internal static class Topologies
{
    /// <summary>The default csr.json layout: six volumes r1v1..r3v2, two per rack over three racks, one node per rack.</summary>
    public static List<PlacementVolume> Default(long freeBytes = 1000) =>
        Enumerable.Range(1, 3).SelectMany(rack => Enumerable.Range(1, 2).Select(n =>
            new PlacementVolume($"r{rack}v{n}", "site1", $"rack{rack}", $"node{rack}", freeBytes))).ToList();

    /// <summary>
    /// A random topology from a seed: 1-2 sites, 1-4 racks per site, 1-2 nodes per rack, 0-3 volumes
    /// per node, at most <paramref name="maxVolumes"/> in all (small enough to check by brute force).
    /// Free space comes from a few values so that ties happen.
    /// </summary>
    public static List<PlacementVolume> Random(int seed, int maxVolumes = 12)
    {
        var random = new Random(seed);
        long[] free = [0, 10, 50, 100, 100];
        var volumes = new List<PlacementVolume>();
        for (int site = 1, sites = random.Next(1, 3); site <= sites; site++)
        {
            for (int rack = 1, racks = random.Next(1, 5); rack <= racks; rack++)
            {
                for (int node = 1, nodes = random.Next(1, 3); node <= nodes; node++)
                {
                    for (int v = 0, count = random.Next(0, 4); v < count; v++)
                    {
                        // Rack and node names repeat across sites on purpose: racks are named within a site.
                        volumes.Add(new PlacementVolume($"s{site}r{rack}n{node}v{v}", $"s{site}", $"rack{rack}", $"node{node}", free[random.Next(free.Length)]));
                    }
                }
            }
        }
        return volumes.OrderBy(_ => random.Next()).Take(maxVolumes).ToList();
    }

    /// <summary>A random valid class from a seed: k 1-5, m 1-3, minimum racks 1..min(n, 4), sometimes limited to site s1.</summary>
    public static StorageClass RandomClass(int seed)
    {
        var random = new Random(seed);
        var k = random.Next(1, 6);
        var m = random.Next(1, 4);
        var minimumRacks = random.Next(1, Math.Min(k + m, 4) + 1);
        IReadOnlyList<string>? sites = random.Next(4) == 0 ? ["s1"] : null;
        return new StorageClass("C", k, m, minimumRacks, sites);
    }

    public static bool Eligible(PlacementVolume v, StorageClass c, long shardBytes) => c.AllowsSite(v.Site) && v.FreeBytes >= shardBytes;

    /// <summary>The rule, checked on its own: n distinct eligible volumes, at most m per rack, at least the minimum number of racks.</summary>
    public static bool KeepsRule(IReadOnlyList<PlacementVolume> plan, StorageClass c, long shardBytes) =>
        plan.Count == c.TotalShards
        && plan.Select(v => v.Id).Distinct().Count() == plan.Count
        && plan.All(v => Eligible(v, c, shardBytes))
        && plan.GroupBy(v => v.RackId).All(g => g.Count() <= c.ParityShards)
        && plan.Select(v => v.RackId).Distinct().Count() >= c.MinimumRacks;

    /// <summary>Whether any n-subset of the eligible volumes keeps the rule (every subset tried).</summary>
    public static bool AnyValidPlan(IReadOnlyList<PlacementVolume> volumes, StorageClass c, long shardBytes)
    {
        var eligible = volumes.Where(v => Eligible(v, c, shardBytes)).ToArray();
        return Subsets(eligible, c.TotalShards).Any(s => KeepsRule(s, c, shardBytes));
    }

    private static IEnumerable<List<PlacementVolume>> Subsets(PlacementVolume[] items, int size)
    {
        var indexes = new int[size];
        IEnumerable<List<PlacementVolume>> From(int position, int start)
        {
            if (position == size)
            {
                yield return indexes.Select(i => items[i]).ToList();
                yield break;
            }
            for (var i = start; i <= items.Length - (size - position); i++)
            {
                indexes[position] = i;
                foreach (var s in From(position + 1, i + 1))
                {
                    yield return s;
                }
            }
        }
        return From(0, 0);
    }
}
