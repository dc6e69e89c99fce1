namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>
/// A request's server-side encryption is refused. The message is sent to the client, so it never
/// carries key material; <see cref="Header"/> names the request header at fault, when there is one.
/// </summary>
internal sealed class SseException(SseFailure failure, string message, string? header = null) : Exception(message)
{
    public SseFailure Failure { get; } = failure;

    public string? Header { get; } = header;
}
