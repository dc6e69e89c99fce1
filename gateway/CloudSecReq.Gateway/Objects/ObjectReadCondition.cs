using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// The conditions of a read (GetObject, HeadObject) or of a copy's source, as S3 evaluates them
/// (RFC 7232 precedence): If-Match, then If-Unmodified-Since (ignored when If-Match is present),
/// If-None-Match, then If-Modified-Since (ignored when If-None-Match is present). Times compare to
/// the second, as Last-Modified is sent.
/// </summary>
internal sealed record ObjectReadCondition(string? IfMatch, string? IfNoneMatch, DateTimeOffset? IfModifiedSince, DateTimeOffset? IfUnmodifiedSince)
{
    /// <summary>
    /// Null when the read goes ahead; else the condition that stops it, by header name: a failed one
    /// (<c>NotModified</c> false: 412), or one that says the client's copy is current (<c>NotModified</c>
    /// true: 304 for a read, 412 for a copy's source).
    /// </summary>
    public (string Header, bool NotModified)? Check(ObjectRecord record)
    {
        var lastModified = new DateTimeOffset(record.LastModified.Ticks - record.LastModified.Ticks % TimeSpan.TicksPerSecond, record.LastModified.Offset);
        if (IfMatch is not null)
        {
            if (!ObjectWriteCondition.ETagMatches(IfMatch, record.ETag))
            {
                return ("If-Match", false);
            }
        }
        else if (IfUnmodifiedSince is { } ius && lastModified > ius)
        {
            return ("If-Unmodified-Since", false);
        }
        if (IfNoneMatch is not null)
        {
            return ObjectWriteCondition.ETagMatches(IfNoneMatch, record.ETag) ? ("If-None-Match", true) : null;
        }
        return IfModifiedSince is { } ims && lastModified <= ims ? ("If-Modified-Since", true) : null;
    }
}
