namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// An S3 conditional write: <c>If-Match</c> (an object must be stored under the key with a matching
/// ETag) and <c>If-None-Match: *</c> (no object may be stored under the key). The metadata store
/// checks it against the stored object inside the write's own transaction, so of two racing
/// conditional writes at most one succeeds.
/// </summary>
internal sealed record ObjectWriteCondition(string? IfMatch, bool IfNoneMatch)
{
    public static ObjectWriteCondition None { get; } = new(null, false);

    /// <summary>Null when the condition holds for <paramref name="stored"/> (null: no object), else the header that failed.</summary>
    public string? FailedHeader(ObjectRecord? stored)
    {
        if (IfMatch is not null && (stored is null || !ETagMatches(IfMatch, stored.ETag)))
        {
            return "If-Match";
        }
        return IfNoneMatch && stored is not null ? "If-None-Match" : null;
    }

    /// <summary>Whether an If-Match / If-None-Match header value (a list of ETags, or *) names <paramref name="etag"/>.</summary>
    public static bool ETagMatches(string header, string etag)
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
}
