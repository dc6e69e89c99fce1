using CloudSecReq.Gateway.Placement;

namespace CloudSecReq.Gateway.Tests.Placement;

/// <summary>Where healing rewrites shards: <see cref="PlacementPlanner.PlanHealTargets"/> and <see cref="PlacementPlanner.Misplaced"/>.</summary>
public sealed class PlacementPlannerHealTests
{
    private static readonly StorageClass s_standard = StorageClass.Defaults().Single(c => c.Name == StorageClass.Standard);

    /// <summary>Shard i of a 4+2 segment on the default topology: r1v1, r1v2, r2v1, r2v2, r3v1, r3v2.</summary>
    private static List<PlacementVolume?> StandardShards(IEnumerable<PlacementVolume> volumes) =>
        new[] { "r1v1", "r1v2", "r2v1", "r2v2", "r3v1", "r3v2" }.Select(id => volumes.FirstOrDefault(v => v.Id == id)).ToList();

    private static PlacementVolume Volume(string id, string rack, long freeBytes = 1000) => new(id, "site1", rack, rack + "node", freeBytes);

    [Fact]
    public void PlanHealTargets_OwnVolumeUsable_RebuiltInPlace()
    {
        var volumes = Topologies.Default();

        var targets = new PlacementPlanner().PlanHealTargets(volumes, StandardShards(volumes), [2], 2, s_standard, 100);

        Assert.True(targets.Succeeded);
        Assert.Equal("r2v1", targets.Volumes[2].Id);
    }

    [Fact]
    public void PlanHealTargets_OwnVolumeGone_RackWithFewestShardsThenMostFreeSpace()
    {
        var all = Topologies.Default().Concat([Volume("r1v3", "rack1", 5000), Volume("r3v3", "rack3", 100), Volume("r3v4", "rack3", 900)]).ToList();
        var usable = all.Where(v => v.Id != "r3v2").ToList();

        var targets = new PlacementPlanner().PlanHealTargets(usable, StandardShards(all), [5], 2, s_standard, 50);

        // rack1 has the most room but already holds m = 2 shards; rack3 holds one.
        Assert.True(targets.Succeeded);
        Assert.Equal("r3v4", targets.Volumes[5].Id);
    }

    [Fact]
    public void PlanHealTargets_RackGoneOthersHoldM_WaitsRatherThanBreakingTheRule()
    {
        var all = Topologies.Default().Append(Volume("r1v3", "rack1")).ToList();
        var usable = all.Where(v => v.Rack != "rack3").ToList();

        var targets = new PlacementPlanner().PlanHealTargets(usable, StandardShards(all), [4, 5], 2, s_standard, 100);

        Assert.False(targets.Succeeded);
        Assert.Contains("without breaking the placement rule (at most 2 shards of an object per rack", targets.WaitReason);
        Assert.Contains("5 volumes in use in 2 racks", targets.WaitReason);
    }

    [Fact]
    public void PlanHealTargets_TooFewRacksForTheClass_Waits()
    {
        var threeRacks = new StorageClass("C", 2, 2, 3);
        PlacementVolume[] all = [Volume("a1", "rack1"), Volume("a2", "rack1"), Volume("b1", "rack2"), Volume("b2", "rack2"), Volume("c1", "rack3")];
        PlacementVolume?[] shards = [all[0], all[2], all[4], all[1]];

        var targets = new PlacementPlanner().PlanHealTargets(all.Where(v => v.Rack != "rack3").ToList(), shards, [2], 2, threeRacks, 1);

        Assert.False(targets.Succeeded);
        Assert.Contains("needs 3 racks; the volumes in use allow only 2", targets.WaitReason);
    }

    [Fact]
    public void PlanHealTargets_NoRoomOrWrongSite_NotEligible()
    {
        var siteOne = new StorageClass("S1", 2, 2, 2, ["site1"]);
        PlacementVolume[] all =
        [
            Volume("a1", "rack1"), Volume("a2", "rack1"), Volume("b1", "rack2"),
            Volume("b2", "rack2", freeBytes: -1), new("x1", "site2", "rack9", "n", 5000), Volume("b3", "rack2", freeBytes: 10),
        ];
        PlacementVolume?[] shards = [all[0], all[2], all[1], null];

        var refused = new PlacementPlanner().PlanHealTargets(all, shards, [3], 2, siteOne, 100);
        var accepted = new PlacementPlanner().PlanHealTargets(all.Append(Volume("b4", "rack2", 200)).ToList(), shards, [3], 2, siteOne, 100);

        Assert.False(refused.Succeeded);
        Assert.True(accepted.Succeeded);
        Assert.Equal("b4", accepted.Volumes[3].Id);
    }

    [Fact]
    public void Misplaced_RackAboveM_HighestIndicesOfThatRack()
    {
        PlacementVolume?[] shards = [Volume("a1", "rack1"), Volume("a2", "rack1"), Volume("b1", "rack2"), Volume("a3", "rack1"), Volume("a4", "rack1"), null];

        var planner = new PlacementPlanner();

        Assert.Equal([3, 4], planner.Misplaced(shards, [], 2));
        Assert.Equal([4], planner.Misplaced(shards, [0], 2));
        Assert.Empty(planner.Misplaced(shards, [0, 1], 2));
    }
}
