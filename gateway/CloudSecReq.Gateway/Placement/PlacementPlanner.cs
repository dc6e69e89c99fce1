using System.Globalization;

namespace CloudSecReq.Gateway.Placement;

/// <summary>
/// The one placement authority: where a new segment's shards go (<see cref="Plan"/>), where an object's
/// manifest copies go, which for an inline object are its storage (<see cref="PlanCopies"/>), and where
/// healing rewrites shards (<see cref="PlanHealTargets"/>, <see cref="Misplaced"/>).
/// <para>
/// <see cref="Plan"/> chooses the volumes for one object's k + m shards. The rule, enforced and never best-effort: the
/// n = k + m volumes are distinct and no rack holds more than m of them, so losing any one rack loses
/// at most m shards and the object stays readable; and at least the class's minimum number of racks
/// is used. Among the plans that keep the rule it spreads: shards go round-robin over racks (the rack
/// with the fewest shards so far first), within a rack over nodes, and within a node to the volume
/// with the most free space; free space also breaks ties between racks. Names break the remaining
/// ties, so the plan does not depend on the order of the input.
/// When no plan keeps the rule the answer is a <see cref="PlacementFailure"/> saying why, unless
/// <c>allowDegradedWrites</c> is set and there are at least n eligible volumes: then the plan spreads
/// as well as it can and is flagged <see cref="PlacementPlan.Degraded"/> (to be healed first).
/// Healing never breaks the rule, degraded writes or not: it waits for volumes instead.
/// </para>
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

    /// <summary>
    /// The order in which to try volumes for an object's m + 1 manifest copies: the volumes of
    /// <paramref name="preferredVolumeIds"/> that are usable first (the object's shard volumes, or an
    /// inline object's <see cref="Plan"/>: they keep the rack rule already), then every other usable
    /// volume in a random order (spreading the logs' load); each group taken one rack at a time, keeping
    /// its order within a rack, so that the first copies span as many racks as there are. The caller
    /// writes to the first ones and replaces a failed append by the next.
    /// </summary>
    /// <param name="usableVolumes">The volumes in use now; distinct ids. Free space is not read (a copy is small).</param>
    /// <param name="random">Shuffles the volumes that are not preferred.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "The planner is the one placement authority, injected where placement is decided; its rules are its instance API.")]
    public IReadOnlyList<PlacementVolume> PlanCopies(IReadOnlyCollection<PlacementVolume> usableVolumes, IReadOnlyList<string> preferredVolumeIds, Random random)
    {
        var byId = usableVolumes.ToDictionary(v => v.Id, StringComparer.Ordinal);
        var preferred = preferredVolumeIds.Select(id => byId.GetValueOrDefault(id)).OfType<PlacementVolume>();
        var others = usableVolumes.Where(v => !preferredVolumeIds.Contains(v.Id)).OrderBy(_ => random.Next());
        return [.. SpreadOverRacks(preferred), .. SpreadOverRacks(others)];
    }

    /// <summary>
    /// True when copies on <paramref name="copyVolumes"/> survive the loss of any one rack, or when they
    /// cannot: every usable volume is in one rack.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "The planner is the one placement authority, injected where placement is decided; its rules are its instance API.")]
    public bool CopiesSurviveRackLoss(IEnumerable<PlacementVolume> copyVolumes, IEnumerable<PlacementVolume> usableVolumes) =>
        copyVolumes.Select(v => v.RackId).Distinct().Count() >= 2 || usableVolumes.Select(v => v.RackId).Distinct().Count() < 2;

    /// <summary>
    /// The good shards (or copies) beyond m in one rack, left by a degraded write: the highest indices
    /// of each over-full rack, ascending. Healing moves them.
    /// </summary>
    /// <param name="shardVolumes">Shard i's volume; null when not configured (never counted).</param>
    /// <param name="bad">Shards to be rewritten anyway; not counted.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "The planner is the one placement authority, injected where placement is decided; its rules are its instance API.")]
    public IReadOnlyList<int> Misplaced(IReadOnlyList<PlacementVolume?> shardVolumes, IEnumerable<int> bad, int parityShards)
    {
        var badSet = bad.ToHashSet();
        return Enumerable.Range(0, shardVolumes.Count)
            .Where(i => !badSet.Contains(i) && shardVolumes[i] is not null)
            .GroupBy(i => shardVolumes[i]!.RackId)
            .Where(g => g.Count() > parityShards)
            .SelectMany(g => g.OrderByDescending(i => i).Take(g.Count() - parityShards))
            .Order()
            .ToList();
    }

    /// <summary>
    /// A usable volume for each shard in <paramref name="replace"/> such that the segment keeps the
    /// rule: distinct volumes, at most m of its shards per rack, the class's sites and minimum racks.
    /// A shard's own volume first when it fits (a corrupt file on a healthy disk is rebuilt in place;
    /// a misplaced shard's own rack is over-full, so it never fits), then the volume in the rack with
    /// the fewest of the segment's shards, the most free space, the name. When some shard has no such
    /// volume the answer is why: the segment waits for volumes, the rule is never broken to heal.
    /// </summary>
    /// <param name="usableVolumes">The volumes in use now with their free space (negative when unknown: never eligible); distinct ids.</param>
    /// <param name="shardVolumes">Shard i's current volume, usable or not; null when not configured.</param>
    /// <param name="replace">The shards to rewrite, in the order their targets are chosen.</param>
    /// <param name="storageClass">The segment's class when known; null checks the rack rule only.</param>
    /// <param name="shardBytes">Room each rewritten shard needs.</param>
    public HealTargets PlanHealTargets(IReadOnlyCollection<PlacementVolume> usableVolumes, IReadOnlyList<PlacementVolume?> shardVolumes,
        IReadOnlyList<int> replace, int parityShards, StorageClass? storageClass, long shardBytes)
    {
        var m = parityShards;
        var replaceSet = replace.ToHashSet();
        var usable = usableVolumes.ToDictionary(v => v.Id, StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var perRack = new Dictionary<(string Site, string Rack), int>();
        void Count(PlacementVolume v)
        {
            used.Add(v.Id);
            perRack[v.RackId] = perRack.GetValueOrDefault(v.RackId) + 1;
        }
        for (var j = 0; j < shardVolumes.Count; j++)
        {
            if (!replaceSet.Contains(j) && shardVolumes[j] is { } kept)
            {
                Count(kept);
            }
        }
        bool Fits(PlacementVolume v) => usable.ContainsKey(v.Id) && !used.Contains(v.Id) && v.FreeBytes >= shardBytes
            && perRack.GetValueOrDefault(v.RackId) < m && (storageClass?.AllowsSite(v.Site) ?? true);

        var targets = new Dictionary<int, PlacementVolume>();
        foreach (var i in replace)
        {
            if (shardVolumes[i] is { } own && usable.TryGetValue(own.Id, out var ownNow) && Fits(ownNow))
            {
                targets[i] = ownNow;
                Count(ownNow);
            }
        }
        foreach (var i in replace.Where(i => !targets.ContainsKey(i)))
        {
            var pick = usable.Values.Where(Fits)
                .OrderBy(v => perRack.GetValueOrDefault(v.RackId))
                .ThenByDescending(v => v.FreeBytes)
                .ThenBy(v => v.Id, StringComparer.Ordinal)
                .FirstOrDefault();
            if (pick is null)
            {
                return new HealTargets(null, $"no volume in use can take shard {i} without breaking the placement rule (at most {m} shards of an object per rack{(storageClass is null ? "" : ", " + storageClass.Describe())}); " +
                    $"{usable.Count} volumes in use in {usable.Values.Select(v => v.RackId).Distinct().Count()} racks");
            }
            targets[i] = pick;
            Count(pick);
        }
        var racks = perRack.Count(r => r.Value > 0);
        if (storageClass is not null && racks < storageClass.MinimumRacks)
        {
            return new HealTargets(null, $"{storageClass.Describe()} needs {storageClass.MinimumRacks} racks; the volumes in use allow only {racks}");
        }
        return new HealTargets(targets, null);
    }

    /// <summary>The volumes in an order that takes one from each rack in turn, keeping the given order within a rack.</summary>
    private static IEnumerable<PlacementVolume> SpreadOverRacks(IEnumerable<PlacementVolume> volumes)
    {
        var racks = volumes.GroupBy(v => v.RackId).Select(g => new Queue<PlacementVolume>(g)).ToList();
        while (racks.Count > 0)
        {
            foreach (var rack in racks)
            {
                yield return rack.Dequeue();
            }
            racks.RemoveAll(r => r.Count == 0);
        }
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
