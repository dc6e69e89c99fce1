namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// The refusals the object use cases make, in the object layer's own terms; the protocol maps each
/// to its error in one place (for S3: <c>S3/S3Errors.cs</c>).
/// </summary>
internal enum ObjectFailure
{
    /// <summary>The key holds no object (a write conditioned on If-Match).</summary>
    NoSuchKey,

    /// <summary>The multipart upload does not exist (any more).</summary>
    NoSuchUpload,

    /// <summary>A part named by a completion is missing, has another ETag, or can no longer be read.</summary>
    InvalidPart,

    /// <summary>A part other than the last is smaller than the minimum part size.</summary>
    EntityTooSmall,

    /// <summary>A condition of the request does not hold for the object as stored.</summary>
    PreconditionFailed,

    /// <summary>A write's condition held when it began and no longer held at its commit: a concurrent write won.</summary>
    ConditionalConflict,

    /// <summary>The requested storage class is not configured.</summary>
    InvalidStorageClass,

    /// <summary>The requested storage class is configured but not allowed for the tenant.</summary>
    StorageClassNotAllowed,

    /// <summary>The requested range starts past the object's end (or is empty).</summary>
    RangeNotSatisfiable,

    /// <summary>The healthy volumes cannot keep the placement rule for a new write; retry later.</summary>
    PlacementRefused,

    /// <summary>Too few shards, copies or manifest copies could be written or read right now; retry later.</summary>
    Unavailable,

    /// <summary>The object kept changing under an update of its metadata; retry.</summary>
    KeptChanging,
}
