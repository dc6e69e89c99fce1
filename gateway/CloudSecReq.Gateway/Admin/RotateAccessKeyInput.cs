namespace CloudSecReq.Gateway.Admin;

/// <summary>Body of <c>POST /admin/v1/access-keys/{id}/rotate</c>: what happens to the old key, <c>disable</c> or <c>delete</c>.</summary>
internal sealed record RotateAccessKeyInput(string OldKey);
