using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// The one place where the failure kinds of the layers below the protocol become S3 errors: one
/// switch per kind, each to an <see cref="S3ErrorCode"/> (status and default message from
/// <see cref="S3ErrorTable"/>). The message and details of the failure are the client's, as thrown.
/// </summary>
internal static class S3Errors
{
    /// <summary>The S3 error for <paramref name="e"/>; null for an exception that is not a refusal (→ InternalError).</summary>
    public static S3Exception? From(Exception e) => e switch
    {
        S3Exception s3 => s3,
        AuthException auth => From(auth),
        SseException sse => From(sse),
        ObjectException refusal => From(refusal),
        KmsException kms => From(kms),
        _ => null,
    };

    internal static S3ErrorCode Code(AuthFailure failure) => failure switch
    {
        AuthFailure.Anonymous or AuthFailure.MissingDate or AuthFailure.NotYetValid or AuthFailure.Expired
            or AuthFailure.UnsignedHeaders => S3ErrorCode.AccessDenied,
        AuthFailure.SignatureVersion2 or AuthFailure.MissingPayloadHash or AuthFailure.MalformedChunk => S3ErrorCode.InvalidRequest,
        AuthFailure.MalformedAuthorizationHeader => S3ErrorCode.AuthorizationHeaderMalformed,
        AuthFailure.MalformedPresignedQuery => S3ErrorCode.AuthorizationQueryParametersError,
        AuthFailure.TimeSkewed => S3ErrorCode.RequestTimeTooSkewed,
        AuthFailure.MalformedPayloadHash => S3ErrorCode.InvalidArgument,
        AuthFailure.PayloadHashMismatch => S3ErrorCode.XAmzContentSHA256Mismatch,
        AuthFailure.UnknownAccessKey => S3ErrorCode.InvalidAccessKeyId,
        AuthFailure.SignatureMismatch => S3ErrorCode.SignatureDoesNotMatch,
        AuthFailure.IncompleteBody => S3ErrorCode.IncompleteBody,
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };

    internal static S3ErrorCode Code(SseFailure failure) => failure switch
    {
        SseFailure.InvalidHeader => S3ErrorCode.InvalidArgument,
        SseFailure.NotSupported => S3ErrorCode.NotImplemented,
        SseFailure.CustomerKeyNotApplicable or SseFailure.CustomerKeyRequired => S3ErrorCode.InvalidRequest,
        SseFailure.CustomerKeyMismatch => S3ErrorCode.AccessDenied,
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };

    internal static S3ErrorCode Code(ObjectFailure failure) => failure switch
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

    private static S3Exception From(AuthException e) => WithDetails(new S3Exception(Code(e.Failure), e.Message, e), e.Details);

    /// <summary>The object layer's refusal: its message (else the code's default) and its detail elements, in order.</summary>
    internal static S3Exception From(ObjectException e)
    {
        var code = Code(e.Failure);
        return WithDetails(new S3Exception(code, e.ClientMessage ?? S3ErrorTable.Get(code).Message, e), e.Details);
    }

    private static S3Exception WithDetails(S3Exception error, IEnumerable<KeyValuePair<string, string>> details)
    {
        foreach (var (element, value) in details)
        {
            error.With(element, value);
        }
        return error;
    }

    private static S3Exception From(SseException e)
    {
        var error = new S3Exception(Code(e.Failure), e.Message, e);
        return e.Header is null ? error : error.With("ArgumentName", e.Header);
    }

    /// <summary>
    /// A KMS failure seen from S3, as AWS shows it: <c>KMS.&lt;Type&gt;</c> with the KMS status (400),
    /// or 503 ServiceUnavailable when the HSM cannot be reached (fail closed; retry later).
    /// </summary>
    private static S3Exception From(KmsException e) =>
        e.IsRetryable
            ? new S3Exception(S3ErrorCode.ServiceUnavailable, "The key management service is unavailable; retry later.")
            : new S3Exception("KMS." + e.AwsType, e.StatusCode, e.Message);
}
