using System.Globalization;

namespace CloudSecReq.Gateway.Placement;

/// <summary>
/// Chooses the volumes for one object's k + m shards. The rule, enforced and never best-effort: the
/// n = k + m volumes are distinct and no rack holds more than m of them, so losing any one rack loses
/// at most m shards and the object stays readable; and at least the class's minimum number of racks
/// is used. Among the plans that keep the rule it spreads: shards go round-robin over racks (the rack
/// with the fewest shards so far first), within a rack over nodes, and within a node to the volume
/// with the most free space; free space also breaks ties between racks. Names break the remaining
/// ties, so the plan does not depend on the order of the input.
/// When no plan keeps the rule the answer is a <see cref="PlacementFailure"/> saying why, unless
/// <c>allowDegradedWrites</c> is set and there are at least n eligible volumes: then the plan spreads
/// as well as it can and is flagged <see cref="PlacementPlan.Degraded"/> (to be healed first).
/// Pure and thread-safe: it reads only its arguments.
/// </summary>
internal sealed class PlacementPlanner(bool allowDegradedWrites = false)
{
    public bool AllowDegradedWrites { get; } = allowDegradedWrites;

    /// <summary>Plans the placement of one object.</summary>
    /// <param name="healthyVolumes">The volumes that may be written now (not fenced, not failing); distinct ids.</param>
    /// <param name="storageClass">The object's class; must be valid (<see cref="StorageClass.Problem"/> is null).</param>
    /// <param name="shardBytes">Room each shard needs; volumes with less free space are not eligible.</param>
    /// <exception cref="ArgumentException">An invalid class or duplicate volume ids (configuration bugs, not outcomes).</exception>
    public PlacementResult Plan(IEnumerable<PlacementVolume> healthyVolumes, StorageClass storageClass, long shardBytes = 0)
    {
        if (storageClass.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(storageClass));
        }
        var all = healthyVolumes.ToList();
        if (all.Select(v => v.Id).Distinct(StringComparer.Ordinal).Count() != all.Count)
        {
            throw new ArgumentException("Volume ids must be distinct.", nameof(healthyVolumes));
        }
        var eligible = all.Where(v => storageClass.AllowsSite(v.Site) && v.FreeBytes >= shardBytes).ToList();
        int n = storageClass.TotalShards, m = storageClass.ParityShards;
        var racks = eligible.GroupBy(v => v.RackId).ToList();
        // Most shards the rule lets us place: m per rack, or fewer where the rack has fewer volumes.
        var capacity = racks.Sum(r => Math.Min(r.Count(), m));

        if (eligible.Count < n)
        {
            return PlacementResult.Refused(PlacementRefusal.NotEnoughVolumes,
                $"{storageClass.Describe()} needs {n} volumes; {Inventory(all, eligible, racks, storageClass, shardBytes)}.");
        }
        if (racks.Count >= storageClass.MinimumRacks && capacity >= n)
        {
            return PlacementResult.Of(new PlacementPlan(storageClass, Fill(racks, n, m), null));
        }
        var why = racks.Count < storageClass.MinimumRacks
            ? $"{storageClass.Describe()} needs {storageClass.MinimumRacks} racks; {Inventory(all, eligible, racks, storageClass, shardBytes)}"
            : $"{storageClass.Describe()} needs {n} shards with at most {m} per rack, but these racks take only {capacity}; {Inventory(all, eligible, racks, storageClass, shardBytes)}";
        if (!AllowDegradedWrites)
        {
            return PlacementResult.Refused(PlacementRefusal.NotEnoughRacks, why + ".");
        }
        var volumes = Fill(racks, n, int.MaxValue);
        var worst = volumes.GroupBy(v => v.RackId).MaxBy(g => g.Count())!;
        return PlacementResult.Of(new PlacementPlan(storageClass, volumes,
            $"degraded write: {why}; rack {worst.Key.Site}/{worst.Key.Rack} holds {worst.Count()} shards"));
    }

    // Water-filling: each shard goes to the rack with the fewest shards that can still take one (at
    // most perRackLimit), so when the rule's capacity allows n shards this never gets stuck, and no
    // rack gets two more shards than another unless that other one is full.
    private static List<PlacementVolume> Fill(List<IGrouping<(string Site, string Rack), PlacementVolume>> racks, int n, int perRackLimit)
    {
        var states = racks.Select(r => new RackState(r)).ToList();
        var chosen = new List<PlacementVolume>(n);
        while (chosen.Count < n)
        {
            var rack = states.Where(s => s.Count < perRackLimit && s.HasRoom)
                .OrderBy(s => s.Count)
                .ThenByDescending(s => s.BestFreeBytes)
                .ThenBy(s => s.Id.Site, StringComparer.Ordinal)
                .ThenBy(s => s.Id.Rack, StringComparer.Ordinal)
                .First();
            chosen.Add(rack.Take());
        }
        return chosen;
    }

    private static string Inventory(List<PlacementVolume> all, List<PlacementVolume> eligible, List<IGrouping<(string Site, string Rack), PlacementVolume>> racks, StorageClass storageClass, long shardBytes)
    {
        var text = $"{eligible.Count} eligible volume{(eligible.Count == 1 ? "" : "s")} in {racks.Count} rack{(racks.Count == 1 ? "" : "s")}";
        if (racks.Count > 0)
        {
            text += " (" + string.Join(", ", racks.OrderBy(r => r.Key.Site, StringComparer.Ordinal).ThenBy(r => r.Key.Rack, StringComparer.Ordinal)
                .Select(r => $"{r.Key.Site}/{r.Key.Rack}: {r.Count()}")) + ")";
        }
        var wrongSite = all.Count(v => !storageClass.AllowsSite(v.Site));
        var full = all.Count(v => storageClass.AllowsSite(v.Site) && v.FreeBytes < shardBytes);
        if (wrongSite > 0)
        {
            text += $"; {wrongSite} healthy volume{(wrongSite == 1 ? " is" : "s are")} outside the allowed sites";
        }
        if (full > 0)
        {
            text += $"; {full} healthy volume{(full == 1 ? " has" : "s have")} less than {shardBytes.ToString(CultureInfo.InvariantCulture)} bytes free";
        }
        return text;
    }

    /// <summary>One rack during a fill: its unchosen volumes by node, most free space first.</summary>
    private sealed class RackState
    {
        private readonly List<NodeState> _nodes;

        public RackState(IGrouping<(string Site, string Rack), PlacementVolume> rack)
        {
            Id = rack.Key;
            _nodes = rack.GroupBy(v => v.Node).Select(g => new NodeState(g.Key, g)).ToList();
        }

        public (string Site, string Rack) Id { get; }
        public int Count { get; private set; }
        public bool HasRoom => _nodes.Any(n => n.HasRoom);
        public long BestFreeBytes => _nodes.Where(n => n.HasRoom).Max(n => n.BestFreeBytes);

        public PlacementVolume Take()
        {
            var node = _nodes.Where(n => n.HasRoom)
                .OrderBy(n => n.Count)
                .ThenByDescending(n => n.BestFreeBytes)
                .ThenBy(n => n.Name, StringComparer.Ordinal)
                .First();
            Count++;
            return node.Take();
        }
    }

    private sealed class NodeState(string name, IEnumerable<PlacementVolume> volumes)
    {
        private readonly Queue<PlacementVolume> _volumes = new(volumes
            .OrderByDescending(v => v.FreeBytes)
            .ThenBy(v => v.Id, StringComparer.Ordinal));

        public string Name { get; } = name;
        public int Count { get; private set; }
        public bool HasRoom => _volumes.Count > 0;
        public long BestFreeBytes => _volumes.Peek().FreeBytes;

        public PlacementVolume Take()
        {
            Count++;
            return _volumes.Dequeue();
        }
    }
}
