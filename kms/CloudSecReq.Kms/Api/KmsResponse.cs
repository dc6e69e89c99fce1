namespace CloudSecReq.Kms.Api;

/// An AWS KMS JSON 1.1 response: the HTTP status and the body (Content-Type application/x-amz-json-1.1).
public readonly record struct KmsResponse(int StatusCode, byte[] Json)
{
    /// The AWS error response for <paramref name="error"/> ({"__type", "message"} with its status), for a host that
    /// refuses a request before it reaches <see cref="KmsApi"/> (e.g. an identity-policy denial).
    public static KmsResponse FromException(KmsException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return KmsJsonWriter.Error(error);
    }
}
