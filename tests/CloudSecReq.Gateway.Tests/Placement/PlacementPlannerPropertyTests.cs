using CloudSecReq.Gateway.Placement;
using FsCheck;
using FsCheck.Fluent;

namespace CloudSecReq.Gateway.Tests.Placement;

public sealed class PlacementPlannerPropertyTests
{
    private static readonly Config s_config = Config.QuickThrowOnFailure.WithMaxTest(400);

    // (topology seed, class seed, shard size): seeds drive Topologies.Random and Topologies.RandomClass.
    private static readonly Arbitrary<(int Topology, int Class, long ShardBytes)> s_cases =
        (from topology in Gen.Choose(0, int.MaxValue)
         from storageClass in Gen.Choose(0, int.MaxValue)
         from shardBytes in Gen.Elements(0L, 10L, 60L)
         select (topology, storageClass, shardBytes)).ToArbitrary();

    [Fact]
    public void Plan_AnyTopology_EveryPlanKeepsTheRackRule()
    {
        Prop.ForAll(s_cases, c =>
        {
            var (volumes, storageClass) = (Topologies.Random(c.Topology, maxVolumes: 40), Topologies.RandomClass(c.Class));
            var result = new PlacementPlanner().Plan(volumes, storageClass, c.ShardBytes);
            return !result.Succeeded || (!result.Plan.Degraded && Topologies.KeepsRule(result.Plan.Volumes, storageClass, c.ShardBytes));
        }).Check(s_config);
    }

    [Fact]
    public void Plan_Refused_NoValidPlanExists()
    {
        // Brute force over every n-subset: the planner refuses exactly when no subset keeps the rule.
        Prop.ForAll(s_cases, c =>
        {
            var (volumes, storageClass) = (Topologies.Random(c.Topology), Topologies.RandomClass(c.Class));
            var result = new PlacementPlanner().Plan(volumes, storageClass, c.ShardBytes);
            var exists = Topologies.AnyValidPlan(volumes, storageClass, c.ShardBytes);
            if (result.Succeeded)
            {
                return exists;
            }
            var eligible = volumes.Count(v => Topologies.Eligible(v, storageClass, c.ShardBytes));
            var expectedReason = eligible < storageClass.TotalShards ? PlacementRefusal.NotEnoughVolumes : PlacementRefusal.NotEnoughRacks;
            return !exists && result.Failure.Reason == expectedReason && result.Failure.Message.Contains(storageClass.Name, StringComparison.Ordinal);
        }).Check(s_config);
    }

    [Fact]
    public void Plan_AnyTopology_SpreadsOverRacksThenNodesThenFreeSpace()
    {
        Prop.ForAll(s_cases, c =>
        {
            var (volumes, storageClass) = (Topologies.Random(c.Topology, maxVolumes: 40), Topologies.RandomClass(c.Class));
            var result = new PlacementPlanner().Plan(volumes, storageClass, c.ShardBytes);
            if (!result.Succeeded)
            {
                return true;
            }
            var plan = result.Plan.Volumes;
            var eligible = volumes.Where(v => Topologies.Eligible(v, storageClass, c.ShardBytes)).ToList();
            var racks = eligible.GroupBy(v => v.RackId).ToDictionary(g => g.Key, g => g.ToList());
            int Count<TKey>(Func<PlacementVolume, TKey> by, TKey key) => plan.Count(v => EqualityComparer<TKey>.Default.Equals(by(v), key));

            // As many racks as possible are used.
            var racksUsed = plan.Select(v => v.RackId).Distinct().Count() == Math.Min(racks.Count, storageClass.TotalShards);
            // A rack holds two more shards than another only when that other one cannot take more.
            var racksBalanced = racks.Keys.All(a => racks.Keys.All(b =>
                Count(v => v.RackId, a) < Count(v => v.RackId, b) + 2
                || Count(v => v.RackId, b) == Math.Min(racks[b].Count, storageClass.ParityShards)));
            // Within a rack, the same between nodes (a node is full when all its volumes are used).
            var nodesBalanced = racks.Values.All(rack => rack.GroupBy(v => v.NodeId).ToList() is var nodes
                && nodes.All(a => nodes.All(b =>
                    Count(v => v.NodeId, a.Key) < Count(v => v.NodeId, b.Key) + 2 || Count(v => v.NodeId, b.Key) == b.Count())));
            // Within a node, the chosen volumes are the ones with the most free space.
            var roomiest = eligible.GroupBy(v => v.NodeId).All(node =>
            {
                var chosen = node.Where(plan.Contains).ToList();
                return chosen.Count == 0 || node.Except(chosen).All(other => other.FreeBytes <= chosen.Min(v => v.FreeBytes));
            });
            return racksUsed && racksBalanced && nodesBalanced && roomiest;
        }).Check(s_config);
    }

    [Fact]
    public void Plan_InputOrder_DoesNotChangeThePlan()
    {
        Prop.ForAll(s_cases, c =>
        {
            var (volumes, storageClass) = (Topologies.Random(c.Topology, maxVolumes: 40), Topologies.RandomClass(c.Class));
            var shuffled = volumes.OrderBy(_ => new Random(c.Class).Next()).Reverse().ToList();
            var a = new PlacementPlanner().Plan(volumes, storageClass, c.ShardBytes);
            var b = new PlacementPlanner().Plan(shuffled, storageClass, c.ShardBytes);
            return a.Succeeded == b.Succeeded
                && (!a.Succeeded || a.Plan.Volumes.Select(v => v.Id).SequenceEqual(b.Plan!.Volumes.Select(v => v.Id)));
        }).Check(s_config);
    }

    [Fact]
    public void Plan_DegradedAllowed_DegradesOnlyWhenTheRuleCannotBeKept()
    {
        Prop.ForAll(s_cases, c =>
        {
            var (volumes, storageClass) = (Topologies.Random(c.Topology), Topologies.RandomClass(c.Class));
            var strict = new PlacementPlanner().Plan(volumes, storageClass, c.ShardBytes);
            var lenient = new PlacementPlanner(allowDegradedWrites: true).Plan(volumes, storageClass, c.ShardBytes);
            var eligible = volumes.Where(v => Topologies.Eligible(v, storageClass, c.ShardBytes)).ToList();
            if (strict.Succeeded)
            {
                // Same plan, not flagged.
                return lenient.Succeeded && !lenient.Plan.Degraded && lenient.Plan.Volumes.SequenceEqual(strict.Plan.Volumes);
            }
            if (eligible.Count < storageClass.TotalShards)
            {
                // Never fewer volumes than shards, degraded or not.
                return !lenient.Succeeded && lenient.Failure.Reason == PlacementRefusal.NotEnoughVolumes;
            }
            var plan = lenient.Plan;
            return lenient.Succeeded && plan!.Degraded && plan.DegradedReason!.Contains("degraded", StringComparison.Ordinal)
                && plan.Volumes.Count == storageClass.TotalShards
                && plan.Volumes.Distinct().Count() == plan.Volumes.Count
                && plan.Volumes.All(eligible.Contains)
                && plan.Volumes.Select(v => v.RackId).Distinct().Count() == Math.Min(eligible.Select(v => v.RackId).Distinct().Count(), storageClass.TotalShards);
        }).Check(s_config);
    }
}
