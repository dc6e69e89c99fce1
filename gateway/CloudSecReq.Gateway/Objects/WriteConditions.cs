using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Objects;

/// <summary>The conditions of a write (PutObject, CopyObject, CompleteMultipartUpload) against the object stored now.</summary>
internal static class WriteConditions
{
    /// <summary>
    /// Throws <see cref="ObjectFailure.PreconditionFailed"/> when <paramref name="condition"/> does not
    /// hold for <paramref name="stored"/>; as AWS, If-Match on a key that holds no object is
    /// <see cref="ObjectFailure.NoSuchKey"/>.
    /// </summary>
    public static void Check(ObjectWriteCondition condition, ObjectRecord? stored, string objectKey)
    {
        if (condition.IfMatch is not null && stored is null)
        {
            throw new ObjectException(ObjectFailure.NoSuchKey).With("Key", objectKey);
        }
        if (condition.FailedHeader(stored) is { } header)
        {
            throw new ObjectException(ObjectFailure.PreconditionFailed).With("Condition", header);
        }
    }

    /// <summary>
    /// The early check of a write's condition against the object stored now (no read without a
    /// condition): fails a sure failure before any byte is read; the commit checks again.
    /// </summary>
    public static async Task CheckAsync(IMetadataStore store, string bucket, string objectKey, ObjectWriteCondition condition, CancellationToken ct)
    {
        if (condition != ObjectWriteCondition.None)
        {
            Check(condition, await store.GetObjectAsync(bucket, objectKey, ct), objectKey);
        }
    }

    /// <summary>
    /// The refusal of a write whose condition held when it began and no longer held at its commit: a
    /// concurrent write changed the object meanwhile (AWS: 409 ConditionalRequestConflict; the client retries).
    /// </summary>
    public static ObjectException Conflict() => new(ObjectFailure.ConditionalConflict);
}
