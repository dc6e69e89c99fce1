namespace CloudSecReq.Gateway.Metadata;

/// <summary>What a conditional object write did.</summary>
internal enum WriteOutcome
{
    /// <summary>Stored; no object was under the key before.</summary>
    Created,
    /// <summary>Stored; the object it replaced became garbage.</summary>
    Replaced,
    /// <summary>Nothing changed: the <see cref="ObjectWriteCondition"/> did not hold.</summary>
    PreconditionFailed,
    /// <summary>Nothing changed: the multipart upload is gone (completed or aborted meanwhile).</summary>
    NoSuchUpload,
    /// <summary>Nothing changed: a part is no longer as the caller read it (healed or uploaded again meanwhile).</summary>
    PartsChanged,
}
