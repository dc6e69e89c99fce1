using CloudSecReq.Gateway.Placement;

namespace CloudSecReq.Gateway.Tests.Placement;

public sealed class PlacementPlannerTests
{
    private static readonly StorageClass s_standard = StorageClass.Defaults().Single(c => c.Name == StorageClass.Standard);
    private static readonly StorageClass s_reduced = StorageClass.Defaults().Single(c => c.Name == StorageClass.ReducedRedundancy);
    private static readonly StorageClass s_wide = StorageClass.Defaults().Single(c => c.Name == StorageClass.Wide);

    [Fact]
    public void Plan_StandardOnDefaultTopology_TwoShardsPerRack()
    {
        var result = new PlacementPlanner().Plan(Topologies.Default(), s_standard);

        Assert.True(result.Succeeded);
        Assert.False(result.Plan.Degraded);
        Assert.Equal(6, result.Plan.Volumes.Distinct().Count());
        Assert.All(result.Plan.ShardsPerRack().Values, n => Assert.Equal(2, n));
        // Round-robin over racks: the four data shards already span all three racks.
        Assert.Equal(3, result.Plan.Volumes.Take(4).Select(v => v.Rack).Distinct().Count());
    }

    [Fact]
    public void Plan_ReducedRedundancy_TwoRacksWithTheMostFreeSpace()
    {
        var volumes = Topologies.Default().Select(v => v with { FreeBytes = v.Id switch { "r2v2" => 900, "r3v1" => 800, "r3v2" => 700, _ => 100 } }).ToList();

        var result = new PlacementPlanner().Plan(volumes, s_reduced);

        Assert.True(result.Succeeded);
        Assert.Equal(["r2v2", "r3v1"], result.Plan.Volumes.Select(v => v.Id));
    }

    [Fact]
    public void Plan_WideOnSixVolumes_RefusedNotEnoughVolumes()
    {
        var result = new PlacementPlanner(allowDegradedWrites: true).Plan(Topologies.Default(), s_wide);

        Assert.False(result.Succeeded);
        Assert.Equal(PlacementRefusal.NotEnoughVolumes, result.Failure.Reason);
        Assert.Contains("needs 12 volumes; 6 eligible volumes in 3 racks", result.Failure.Message);
    }

    [Fact]
    public void Plan_OneRackLeft_RefusedNotEnoughRacks()
    {
        var volumes = Enumerable.Range(1, 8).Select(i => new PlacementVolume($"v{i}", "site1", "rack1", $"node{i}", 1000)).ToList();

        var result = new PlacementPlanner().Plan(volumes, s_standard);

        Assert.False(result.Succeeded);
        Assert.Equal(PlacementRefusal.NotEnoughRacks, result.Failure.Reason);
        Assert.Contains("needs 3 racks; 8 eligible volumes in 1 rack (site1/rack1: 8)", result.Failure.Message);
    }

    [Fact]
    public void Plan_RacksTooSmallForTheRule_RefusedNotEnoughRacks()
    {
        // Three racks, but one has a single volume: at most 2 + 2 + 1 = 5 shards keep the rule.
        var volumes = Topologies.Default().Where(v => v.Id != "r3v2").Append(new PlacementVolume("r1v3", "site1", "rack1", "node1", 1000)).ToList();

        var result = new PlacementPlanner().Plan(volumes, s_standard);

        Assert.False(result.Succeeded);
        Assert.Equal(PlacementRefusal.NotEnoughRacks, result.Failure.Reason);
        Assert.Contains("these racks take only 5", result.Failure.Message);
    }

    [Fact]
    public void Plan_OneRackLostAndDegradedAllowed_DegradedPlanSpreadOverWhatIsLeft()
    {
        var volumes = Enumerable.Range(1, 3).SelectMany(n => new[]
        {
            new PlacementVolume($"a{n}", "site1", "rack1", $"node{n}", 1000),
            new PlacementVolume($"b{n}", "site1", "rack2", $"node{n}", 1000),
        }).ToList();

        var strict = new PlacementPlanner().Plan(volumes, s_standard);
        var lenient = new PlacementPlanner(allowDegradedWrites: true).Plan(volumes, s_standard);

        Assert.False(strict.Succeeded);
        Assert.True(lenient.Succeeded);
        Assert.True(lenient.Plan.Degraded);
        Assert.Contains("holds 3 shards", lenient.Plan.DegradedReason);
        Assert.All(lenient.Plan.ShardsPerRack().Values, n => Assert.Equal(3, n));
    }

    [Fact]
    public void Plan_AllowedSites_OnlyThoseSites()
    {
        var volumes = Topologies.Default().Concat(Topologies.Default(freeBytes: 5000).Select(v => v with { Id = "x" + v.Id, Site = "site2" })).ToList();
        var siteOne = s_standard with { AllowedSites = ["site1"] };

        var result = new PlacementPlanner().Plan(volumes, siteOne);
        var refused = new PlacementPlanner().Plan(volumes.Where(v => v.Id != "r1v1"), siteOne);

        Assert.True(result.Succeeded);
        Assert.All(result.Plan.Volumes, v => Assert.Equal("site1", v.Site));
        Assert.False(refused.Succeeded);
        Assert.Contains("6 healthy volumes are outside the allowed sites", refused.Failure.Message);
    }

    [Fact]
    public void Plan_ShardLargerThanFreeSpace_VolumeNotEligible()
    {
        var volumes = Topologies.Default().Select(v => v.Id == "r1v1" ? v with { FreeBytes = 10 } : v).ToList();

        var result = new PlacementPlanner().Plan(volumes, s_standard, shardBytes: 100);

        Assert.False(result.Succeeded);
        Assert.Equal(PlacementRefusal.NotEnoughVolumes, result.Failure.Reason);
        Assert.Contains("1 healthy volume has less than 100 bytes free", result.Failure.Message);
    }

    [Fact]
    public void Plan_TwoNodesInARack_OneShardOnEach()
    {
        PlacementVolume[] volumes =
        [
            new("a1", "site1", "rack1", "node1", 900), new("a2", "site1", "rack1", "node1", 800), new("a3", "site1", "rack1", "node2", 100),
            new("b1", "site1", "rack2", "node3", 900), new("b2", "site1", "rack2", "node3", 800),
        ];

        var result = new PlacementPlanner().Plan(volumes, new StorageClass("PAIR", 2, 2, 2));

        Assert.True(result.Succeeded);
        // rack1 gets node1's roomiest volume and then node2's, not node1's second.
        Assert.Equal(["a1", "b1", "a3", "b2"], result.Plan.Volumes.Select(v => v.Id));
    }

    [Fact]
    public void Plan_SameRackNameAtTwoSites_DifferentRacks()
    {
        PlacementVolume[] volumes = [new("a", "site1", "rack1", "n", 1), new("b", "site2", "rack1", "n", 1)];

        var result = new PlacementPlanner().Plan(volumes, s_reduced);

        Assert.True(result.Succeeded);
        Assert.Equal(2, result.Plan.ShardsPerRack().Count);
    }

    [Fact]
    public void Plan_InvalidClassOrDuplicateIds_Throws()
    {
        Assert.Throws<ArgumentException>(() => new PlacementPlanner().Plan(Topologies.Default(), new StorageClass("NONE", 4, 0, 1)));
        Assert.Throws<ArgumentException>(() => new PlacementPlanner().Plan(Topologies.Default().Append(Topologies.Default()[0]), s_standard));
    }
}
