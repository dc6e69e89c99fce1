namespace CloudSecReq.Gateway.Placement;

/// <summary>A refused placement: the reason as a value and a message for operators (names, counts; no secrets).</summary>
internal sealed record PlacementFailure(PlacementRefusal Reason, string Message);
