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

    /// <param name="inner">The cause, for the log under the request id; never sent to the client.</param>
    public S3Exception(S3ErrorCode code, string message, Exception inner)
        : base(message, inner)
    {
        Code = code;
    }

    /// <summary>An error whose code is not in <see cref="S3ErrorCode"/>, such as <c>KMS.DisabledException</c>.</summary>
    internal S3Exception(string codeName, int status, string message)
        : base(message)
    {
        Code = S3ErrorCode.InvalidRequest;
        CodeName = codeName;
        _status = status;
    }

    private readonly int? _status;

    public S3ErrorCode Code { get; }

    /// <summary>The code as sent on the wire.</summary>
    public string CodeName => field ?? Code.ToString();

    public int Status => _status ?? S3ErrorTable.Get(Code).Status;

    /// <summary>Extra elements written into the error document (e.g. ArgumentName, Key, BucketName).</summary>
    public Dictionary<string, string> Details { get; } = new();

    public S3Exception With(string element, string value)
    {
        Details[element] = value;
        return this;
    }
}
