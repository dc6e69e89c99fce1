using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// The listing walk shared by ListObjects, ListObjectsV2 and ListObjectVersions: keys under a
/// prefix in UTF-8 order, folded into common prefixes at the delimiter, up to max-keys entries
/// (keys and common prefixes both count), reading the index a page at a time; and the uploads in
/// progress for ListMultipartUploads. One per gateway; thread-safe.
/// </summary>
internal sealed class ObjectListing(IMetadataStore store)
{
    internal sealed record Result(List<ObjectRecord> Objects, List<string> CommonPrefixes, bool IsTruncated, string? Last);

    // Greater than any key that starts with a given common prefix (keys are valid UTF-8, at most 1024 bytes).
    private const string AfterEverything = "\U0010FFFF";

    public async Task<Result> ListAsync(string bucket, string prefix, string? delimiter, string? startAfter, int maxKeys, CancellationToken ct)
    {
        var objects = new List<ObjectRecord>();
        var prefixes = new List<string>();
        if (string.IsNullOrEmpty(delimiter))
        {
            delimiter = null;
        }
        var cursor = startAfter;
        if (cursor is not null && delimiter is not null && cursor.StartsWith(prefix, StringComparison.Ordinal) && cursor.EndsWith(delimiter, StringComparison.Ordinal))
        {
            cursor += AfterEverything; // the marker is a common prefix: skip all of it
        }
        string? last = null;
        var count = 0;
        if (maxKeys <= 0)
        {
            return new Result(objects, prefixes, false, null);
        }
        while (true)
        {
            var page = await store.ListObjectsAsync(bucket, prefix, cursor, Math.Min(1000, maxKeys - count + 1), ct);
            var jumped = false;
            foreach (var record in page.Items)
            {
                if (count == maxKeys)
                {
                    return new Result(objects, prefixes, true, last);
                }
                var rest = record.Key[prefix.Length..];
                var at = delimiter is null ? -1 : rest.IndexOf(delimiter, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var commonPrefix = prefix + rest[..(at + delimiter!.Length)];
                    prefixes.Add(commonPrefix);
                    count++;
                    last = commonPrefix;
                    cursor = commonPrefix + AfterEverything;
                    jumped = true;
                    break;
                }
                objects.Add(record);
                count++;
                last = record.Key;
                cursor = record.Key;
            }
            if (!jumped && !page.IsTruncated)
            {
                return new Result(objects, prefixes, false, last);
            }
        }
    }

    internal sealed record UploadsResult(List<MultipartUpload> Uploads, List<string> CommonPrefixes, bool IsTruncated, MultipartUpload? Last);

    /// <summary>
    /// One page of the uploads in progress under <paramref name="prefix"/> after the markers, those
    /// whose key has <paramref name="delimiter"/> past the prefix folded into common prefixes.
    /// </summary>
    public async Task<UploadsResult> ListUploadsAsync(string bucket, string prefix, string? delimiter, string? keyMarker, string? uploadIdMarker, int maxUploads,
        CancellationToken ct)
    {
        var page = await store.ListUploadsAsync(bucket, prefix, keyMarker, uploadIdMarker, maxUploads, ct);
        var uploads = new List<MultipartUpload>();
        var prefixes = new List<string>();
        foreach (var u in page.Items)
        {
            var rest = u.Key[prefix.Length..];
            var at = string.IsNullOrEmpty(delimiter) ? -1 : rest.IndexOf(delimiter, StringComparison.Ordinal);
            if (at >= 0)
            {
                var cp = prefix + rest[..(at + delimiter!.Length)];
                if (!prefixes.Contains(cp))
                {
                    prefixes.Add(cp);
                }
            }
            else
            {
                uploads.Add(u);
            }
        }
        return new UploadsResult(uploads, prefixes, page.IsTruncated, page.Items.Count > 0 ? page.Items[^1] : null);
    }
}
