namespace CloudSecReq.Gateway.S3;

/// <summary>
/// An S3 protocol error that reaches the client as S3 XML. The message is sent to the client, so it
/// must never carry secrets, key material or internal details.
/// </summary>
internal sealed class S3Exception : Exception
{
    public S3Exception(S3ErrorCode code, string? message = null)
        : base(message ?? S3ErrorTable.Get(code).Message)
    {
        Code = code;
    }

    public S3ErrorCode Code { get; }

    public int Status => S3ErrorTable.Get(Code).Status;

    /// <summary>Extra elements written into the error document (e.g. ArgumentName, Key, BucketName).</summary>
    public Dictionary<string, string> Details { get; } = new();

    public S3Exception With(string element, string value)
    {
        Details[element] = value;
        return this;
    }
}
