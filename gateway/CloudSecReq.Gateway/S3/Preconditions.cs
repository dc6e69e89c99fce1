using System.Globalization;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// The conditional request headers, parsed into the object layer's conditions (evaluated there:
/// <see cref="ObjectReadCondition"/>, <see cref="WriteConditions"/>). The same rules serve the
/// x-amz-copy-source-if-* headers.
/// </summary>
internal static class Preconditions
{
    /// <summary>The read conditions of the request (<paramref name="prefix"/>: <c>x-amz-copy-source-</c> for a copy's source).</summary>
    public static ObjectReadCondition ForRead(HttpRequest request, string prefix = "")
    {
        string? H(string name) => request.Headers.TryGetValue(prefix + name, out var v) ? v.ToString() : null;
        return new ObjectReadCondition(H("If-Match"), H("If-None-Match"), ParseDate(H("If-Modified-Since")), ParseDate(H("If-Unmodified-Since")));
    }

    /// <summary>Throws PreconditionFailed (412) when the copy source's conditions stop the copy, a not-modified one included.</summary>
    public static void CheckCopySource(HttpRequest request, ObjectRecord source)
    {
        if (ForRead(request, CopySourcePrefix).Check(source) is { } stop)
        {
            throw new S3Exception(S3ErrorCode.PreconditionFailed).With("Condition", CopySourcePrefix + stop.Header);
        }
    }

    private const string CopySourcePrefix = "x-amz-copy-source-";

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

    private static DateTimeOffset? ParseDate(string? value) =>
        value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
