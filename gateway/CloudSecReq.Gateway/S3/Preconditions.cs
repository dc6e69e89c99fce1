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
            if (!ObjectWriteCondition.ETagMatches(ifMatch, record.ETag))
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
            notModified = ObjectWriteCondition.ETagMatches(ifNoneMatch, record.ETag);
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

    /// <summary>
    /// The conditions of a write (PutObject, CopyObject, CompleteMultipartUpload): If-Match with
    /// ETags, If-None-Match with * only (AWS answers NotImplemented for an ETag there).
    /// </summary>
    public static ObjectWriteCondition ForWrite(HttpRequest request)
    {
        var ifNoneMatch = request.Headers.TryGetValue("If-None-Match", out var n) ? n.ToString() : null;
        if (ifNoneMatch is not null && ifNoneMatch.Trim() != "*")
        {
            throw new S3Exception(S3ErrorCode.NotImplemented, "A write's If-None-Match header only takes *.").With("Header", "If-None-Match");
        }
        var ifMatch = request.Headers.TryGetValue("If-Match", out var m) ? m.ToString() : null;
        return ifMatch is null && ifNoneMatch is null ? ObjectWriteCondition.None : new ObjectWriteCondition(ifMatch, ifNoneMatch is not null);
    }

    /// <summary>Throws PreconditionFailed (412) when <paramref name="condition"/> does not hold for <paramref name="stored"/>.</summary>
    /// <remarks>As AWS: If-Match on a key that holds no object is NoSuchKey (404).</remarks>
    public static void CheckWrite(ObjectWriteCondition condition, ObjectRecord? stored, string key)
    {
        if (condition.IfMatch is not null && stored is null)
        {
            throw new S3Exception(S3ErrorCode.NoSuchKey).With("Key", key);
        }
        if (condition.FailedHeader(stored) is { } header)
        {
            throw new S3Exception(S3ErrorCode.PreconditionFailed).With("Condition", header);
        }
    }

    /// <summary>
    /// The early check of a write's condition against the object stored now (no read without a
    /// condition): fails a sure failure before any byte is read; the commit checks again.
    /// </summary>
    public static async Task CheckWriteAsync(IMetadataStore store, string bucket, string objectKey, ObjectWriteCondition condition, CancellationToken ct)
    {
        if (condition != ObjectWriteCondition.None)
        {
            CheckWrite(condition, await store.GetObjectAsync(bucket, objectKey, ct), objectKey);
        }
    }

    /// <summary>
    /// The error for a write whose condition held when it began and no longer held at its commit: a
    /// concurrent write changed the object meanwhile. AWS answers 409 ConditionalRequestConflict; the client retries.
    /// </summary>
    public static S3Exception WriteConflict() => new(S3ErrorCode.ConditionalRequestConflict);

    private static DateTimeOffset? ParseDate(string? value) =>
        value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, t.Offset);
}
