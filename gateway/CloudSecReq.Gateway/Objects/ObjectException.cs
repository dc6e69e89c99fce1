namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// A refusal of an object use case: its <see cref="ObjectFailure"/>, a message safe to show the
/// client (null: the protocol's default message for the failure) and detail elements such as Key,
/// UploadId or PartNumber. Never carries secrets, key material or internal details; the cause, when
/// given, is only for the log.
/// </summary>
internal sealed class ObjectException(ObjectFailure failure, string? clientMessage = null, Exception? inner = null)
    : Exception(clientMessage ?? failure.ToString(), inner)
{
    public ObjectFailure Failure { get; } = failure;

    /// <summary>The message for the client, or null for the protocol's default one.</summary>
    public string? ClientMessage { get; } = clientMessage;

    /// <summary>Extra elements for the error document, in the order they were added.</summary>
    public List<KeyValuePair<string, string>> Details { get; } = [];

    public ObjectException With(string element, string value)
    {
        Details.Add(new(element, value));
        return this;
    }
}
