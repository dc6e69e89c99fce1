namespace CloudSecReq.Gateway.Admin;

/// <summary>An admin request refused with <see cref="Code"/>; the message goes to the client, so it never carries a secret.</summary>
internal sealed class AdminException(AdminErrorCode code, string? message = null) : Exception(message ?? AdminErrorTable.Of(code).Message)
{
    public AdminErrorCode Code { get; } = code;
}
