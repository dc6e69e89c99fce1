namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// A request failed authentication. The message and details are sent to the client (S3 writes the
/// details as elements of its error document), so they never carry secrets or the signature we computed.
/// </summary>
internal sealed class AuthException(AuthFailure failure, string message) : Exception(message)
{
    public AuthFailure Failure { get; } = failure;

    /// <summary>Facts for the client, in order, named as AWS names them (e.g. RequestTime, HeadersNotSigned).</summary>
    public Dictionary<string, string> Details { get; } = new();

    public AuthException With(string name, string value)
    {
        Details[name] = value;
        return this;
    }
}
