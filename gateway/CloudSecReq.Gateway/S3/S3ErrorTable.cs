using System.Collections.Frozen;

namespace CloudSecReq.Gateway.S3;

/// <summary>The one table of S3 error codes: HTTP status and the default message AWS sends.</summary>
internal static class S3ErrorTable
{
    internal readonly record struct Entry(int Status, string Message);

    private static readonly FrozenDictionary<S3ErrorCode, Entry> s_entries = new Dictionary<S3ErrorCode, Entry>
    {
        [S3ErrorCode.AccessDenied] = new(403, "Access Denied"),
        [S3ErrorCode.AccessControlListNotSupported] = new(400, "The bucket does not allow ACLs"),
        [S3ErrorCode.AuthorizationHeaderMalformed] = new(400, "The authorization header is malformed."),
        [S3ErrorCode.AuthorizationQueryParametersError] = new(400, "Error parsing the X-Amz-Credential parameter."),
        [S3ErrorCode.BadDigest] = new(400, "The Content-MD5 or checksum you specified did not match what we received."),
        [S3ErrorCode.BucketAlreadyExists] = new(409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."),
        [S3ErrorCode.BucketAlreadyOwnedByYou] = new(409, "Your previous request to create the named bucket succeeded and you already own it."),
        [S3ErrorCode.BucketNotEmpty] = new(409, "The bucket you tried to delete is not empty"),
        [S3ErrorCode.ConditionalRequestConflict] = new(409, "A conflicting conditional operation is currently in progress against this resource. Please try again."),
        [S3ErrorCode.EntityTooLarge] = new(400, "Your proposed upload exceeds the maximum allowed size"),
        [S3ErrorCode.EntityTooSmall] = new(400, "Your proposed upload is smaller than the minimum allowed object size."),
        [S3ErrorCode.ExpiredToken] = new(400, "The provided token has expired."),
        [S3ErrorCode.IncompleteBody] = new(400, "You did not provide the number of bytes specified by the Content-Length HTTP header."),
        [S3ErrorCode.InvalidStorageClass] = new(400, "The storage class you specified is not valid"),
        [S3ErrorCode.InternalError] = new(500, "We encountered an internal error. Please try again."),
        [S3ErrorCode.InvalidAccessKeyId] = new(403, "The AWS Access Key Id you provided does not exist in our records."),
        [S3ErrorCode.InvalidArgument] = new(400, "Invalid Argument"),
        [S3ErrorCode.InvalidBucketAclWithObjectOwnership] = new(400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"),
        [S3ErrorCode.InvalidBucketName] = new(400, "The specified bucket is not valid."),
        [S3ErrorCode.InvalidDigest] = new(400, "The Content-MD5 or checksum you specified is not valid."),
        [S3ErrorCode.InvalidLocationConstraint] = new(400, "The specified location constraint is not valid."),
        [S3ErrorCode.InvalidObjectState] = new(403, "The operation is not valid for the current state of the object."),
        [S3ErrorCode.InvalidPart] = new(400, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."),
        [S3ErrorCode.InvalidPartOrder] = new(400, "The list of parts was not in ascending order. Parts must be ordered by part number."),
        [S3ErrorCode.InvalidRange] = new(416, "The requested range is not satisfiable"),
        [S3ErrorCode.InvalidRequest] = new(400, "Invalid Request"),
        [S3ErrorCode.InvalidTag] = new(400, "The TagSet is not valid."),
        [S3ErrorCode.InvalidURI] = new(400, "Couldn't parse the specified URI."),
        [S3ErrorCode.KeyTooLongError] = new(400, "Your key is too long"),
        [S3ErrorCode.MalformedXML] = new(400, "The XML you provided was not well-formed or did not validate against our published schema."),
        [S3ErrorCode.MaxMessageLengthExceeded] = new(400, "Your request was too big."),
        [S3ErrorCode.MetadataTooLarge] = new(400, "Your metadata headers exceed the maximum allowed metadata size."),
        [S3ErrorCode.MethodNotAllowed] = new(405, "The specified method is not allowed against this resource."),
        [S3ErrorCode.MissingContentLength] = new(411, "You must provide the Content-Length HTTP header."),
        [S3ErrorCode.MissingSecurityHeader] = new(400, "Your request is missing a required header."),
        [S3ErrorCode.NoSuchBucket] = new(404, "The specified bucket does not exist"),
        [S3ErrorCode.NoSuchKey] = new(404, "The specified key does not exist."),
        [S3ErrorCode.NoSuchTagSet] = new(404, "The TagSet does not exist"),
        [S3ErrorCode.NoSuchUpload] = new(404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."),
        [S3ErrorCode.NoSuchVersion] = new(404, "The specified version does not exist."),
        [S3ErrorCode.NotImplemented] = new(501, "A header or operation you provided implies functionality that is not implemented."),
        [S3ErrorCode.NotModified] = new(304, "Not Modified"),
        [S3ErrorCode.PreconditionFailed] = new(412, "At least one of the pre-conditions you specified did not hold"),
        [S3ErrorCode.RequestHeaderSectionTooLarge] = new(400, "Your request header section exceeds the maximum allowed size."),
        [S3ErrorCode.RequestTimeTooSkewed] = new(403, "The difference between the request time and the server's time is too large."),
        [S3ErrorCode.RequestTimeout] = new(400, "Your socket connection to the server was not read from or written to within the timeout period."),
        [S3ErrorCode.ServiceUnavailable] = new(503, "Please reduce your request rate."),
        [S3ErrorCode.SignatureDoesNotMatch] = new(403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."),
        [S3ErrorCode.SlowDown] = new(503, "Please reduce your request rate."),
        [S3ErrorCode.XAmzContentSHA256Mismatch] = new(400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
    }.ToFrozenDictionary();

    internal static Entry Get(S3ErrorCode code) => s_entries[code];
}
