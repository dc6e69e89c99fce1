using System.Diagnostics.CodeAnalysis;

namespace CloudSecReq.Gateway.Placement;

/// <summary>The planner's answer: either a <see cref="Plan"/> or a <see cref="Failure"/>, never both.</summary>
internal sealed record PlacementResult
{
    private PlacementResult(PlacementPlan? plan, PlacementFailure? failure)
    {
        Plan = plan;
        Failure = failure;
    }

    public PlacementPlan? Plan { get; }
    public PlacementFailure? Failure { get; }

    [MemberNotNullWhen(true, nameof(Plan))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Plan is not null;

    public static PlacementResult Of(PlacementPlan plan) => new(plan, null);

    public static PlacementResult Refused(PlacementRefusal reason, string message) => new(null, new PlacementFailure(reason, message));
}
