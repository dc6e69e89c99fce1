using System.Globalization;
using CloudSecReq.Gateway.Metadata;
using Microsoft.AspNetCore.Http;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// HTTP conditional requests as S3 evaluates them (RFC 7232 precedence): If-Match, then
/// If-Unmodified-Since (ignored when If-Match is present), If-None-Match, then If-Modified-Since
/// (ignored when If-None-Match is present). The same rules serve the x-amz-copy-source-if-* headers.
/// </summary>
internal static class Preconditions
{
    /// <summary>Throws PreconditionFailed (412) or NotModified (304) when the request's conditions do not hold.</summary>
    public static void Check(HttpRequest request, ObjectRecord record, string prefix = "", bool notModifiedAsFailure = false)
    {
        string? H(string name) => request.Headers.TryGetValue(prefix + name, out var v) ? v.ToString() : null;
        var ifMatch = H("If-Match");
        var ifNoneMatch = H("If-None-Match");
        var ifModifiedSince = ParseDate(H("If-Modified-Since"));
        var ifUnmodifiedSince = ParseDate(H("If-Unmodified-Since"));
        var lastModified = TruncateToSeconds(record.LastModified);
        if (ifMatch is not null)
        {
            if (!ETagMatches(ifMatch, record.ETag))
            {
                throw new S3Exception(S3ErrorCode.PreconditionFailed).With("Condition", prefix + "If-Match");
            }
        }
        else if (ifUnmodifiedSince is { } ius && lastModified > ius)
        {
            throw new S3Exception(S3ErrorCode.PreconditionFailed).With("Condition", prefix + "If-Unmodified-Since");
        }
        var notModified = false;
        if (ifNoneMatch is not null)
        {
            notModified = ETagMatches(ifNoneMatch, record.ETag);
        }
        else if (ifModifiedSince is { } ims && lastModified <= ims)
        {
            notModified = true;
        }
        if (notModified)
        {
            throw notModifiedAsFailure
                ? new S3Exception(S3ErrorCode.PreconditionFailed).With("Condition", prefix + (ifNoneMatch is not null ? "If-None-Match" : "If-Modified-Since"))
                : new S3Exception(S3ErrorCode.NotModified);
        }
    }

    private static bool ETagMatches(string header, string etag)
    {
        var bare = etag.Trim('"');
        foreach (var candidate in header.Split(','))
        {
            var c = candidate.Trim();
            if (c == "*" || c.TrimStart('W', '/').Trim('"') == bare)
            {
                return true;
            }
        }
        return false;
    }

    private static DateTimeOffset? ParseDate(string? value) =>
        value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, t.Offset);
}
