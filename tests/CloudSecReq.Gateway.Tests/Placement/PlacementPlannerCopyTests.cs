using CloudSecReq.Gateway.Placement;

namespace CloudSecReq.Gateway.Tests.Placement;

/// <summary>Where manifest copies go (for an inline object, its storage): <see cref="PlacementPlanner.PlanCopies"/>.</summary>
public sealed class PlacementPlannerCopyTests
{
    [Fact]
    public void PlanCopies_PreferredVolumes_FirstAndOneRackAtATime()
    {
        var order = new PlacementPlanner().PlanCopies(Topologies.Default(), ["r1v1", "r1v2", "r2v1"], new Random(1));

        Assert.Equal(["r1v1", "r2v1", "r1v2"], order.Take(3).Select(v => v.Id));
        Assert.Equal(["r2v2", "r3v1", "r3v2"], order.Skip(3).Select(v => v.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PlanCopies_PreferredVolumeNotUsable_Skipped()
    {
        var order = new PlacementPlanner().PlanCopies(Topologies.Default(), ["gone", "r3v2"], new Random(1));

        Assert.Equal("r3v2", order[0].Id);
        Assert.Equal(6, order.Select(v => v.Id).Distinct().Count());
        Assert.DoesNotContain(order, v => v.Id == "gone");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PlanCopies_NoPreferred_FirstCopiesSpanEveryRack(int seed)
    {
        var order = new PlacementPlanner().PlanCopies(Topologies.Default(), [], new Random(seed));

        Assert.Equal(3, order.Take(3).Select(v => v.Rack).Distinct().Count());
        Assert.Equal(6, order.Count);
    }

    [Fact]
    public void CopiesSurviveRackLoss_OneRackOfSeveral_False()
    {
        var volumes = Topologies.Default();

        Assert.False(new PlacementPlanner().CopiesSurviveRackLoss(volumes.Where(v => v.Rack == "rack1"), volumes));
        Assert.True(new PlacementPlanner().CopiesSurviveRackLoss(volumes.Where(v => v.Id is "r1v1" or "r2v1"), volumes));
    }

    [Fact]
    public void CopiesSurviveRackLoss_OnlyOneRackInUse_True()
    {
        var rack1 = Topologies.Default().Where(v => v.Rack == "rack1").ToList();

        Assert.True(new PlacementPlanner().CopiesSurviveRackLoss(rack1.Take(1), rack1));
    }
}
