using System.Text;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// The listing walk shared by ListObjects, ListObjectsV2 and ListObjectVersions: keys under a
/// prefix in UTF-8 order, folded into common prefixes at the delimiter, up to max-keys entries
/// (keys and common prefixes both count), reading the index a page at a time.
/// </summary>
internal static class Listing
{
    internal sealed record Result(List<ObjectRecord> Objects, List<string> CommonPrefixes, bool IsTruncated, string? Last);

    // Greater than any key that starts with a given common prefix (keys are valid UTF-8, at most 1024 bytes).
    private const string AfterEverything = "\U0010FFFF";

    public static async Task<Result> ListAsync(IMetadataStore store, string bucket, string prefix, string? delimiter, string? startAfter, int maxKeys, CancellationToken ct)
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

    /// <summary>encoding-type=url: percent-encode as S3 does (space as '+', '/' kept), which clients undo with unquote_plus.</summary>
    public static string UrlEncode(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or '/')
            {
                sb.Append(c);
            }
            else if (c == ' ')
            {
                sb.Append('+');
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2"));
            }
        }
        return sb.ToString();
    }
}
