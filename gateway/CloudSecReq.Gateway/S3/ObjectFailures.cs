using CloudSecReq.Gateway.Objects;

namespace CloudSecReq.Gateway.S3;

/// <summary>The one place the object layer's refusals become S3 errors (code, then status and default message from <see cref="S3ErrorTable"/>).</summary>
internal static class ObjectFailures
{
    public static S3ErrorCode Code(ObjectFailure failure) => failure switch
    {
        ObjectFailure.NoSuchKey => S3ErrorCode.NoSuchKey,
        ObjectFailure.NoSuchUpload => S3ErrorCode.NoSuchUpload,
        ObjectFailure.InvalidPart => S3ErrorCode.InvalidPart,
        ObjectFailure.EntityTooSmall => S3ErrorCode.EntityTooSmall,
        ObjectFailure.PreconditionFailed => S3ErrorCode.PreconditionFailed,
        ObjectFailure.ConditionalConflict => S3ErrorCode.ConditionalRequestConflict,
        ObjectFailure.InvalidStorageClass => S3ErrorCode.InvalidStorageClass,
        ObjectFailure.StorageClassNotAllowed => S3ErrorCode.AccessDenied,
        ObjectFailure.RangeNotSatisfiable => S3ErrorCode.InvalidRange,
        ObjectFailure.PlacementRefused => S3ErrorCode.ServiceUnavailable,
        ObjectFailure.Unavailable => S3ErrorCode.ServiceUnavailable,
        ObjectFailure.KeptChanging => S3ErrorCode.SlowDown,
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };

    /// <summary>The S3 error for <paramref name="e"/>: its message (else the code's default) and its detail elements, in order.</summary>
    public static S3Exception ToS3(ObjectException e)
    {
        var code = Code(e.Failure);
        var error = new S3Exception(code, e.ClientMessage ?? S3ErrorTable.Get(code).Message, e);
        foreach (var (element, value) in e.Details)
        {
            error.With(element, value);
        }
        return error;
    }
}
