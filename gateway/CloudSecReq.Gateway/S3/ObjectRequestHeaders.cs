using System.Globalization;
using System.Text;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;

namespace CloudSecReq.Gateway.S3;

/// <summary>Reads what a PUT, copy or multipart create says about the object: content headers, user metadata, tags.</summary>
internal static class ObjectRequestHeaders
{
    public const int MaxUserMetadataBytes = 2 * 1024;
    public const int MaxTags = 10;

    public static ObjectHeaders ContentHeaders(HttpRequest request)
    {
        string? H(string name)
        {
            if (!request.Headers.TryGetValue(name, out var v) || v.Count == 0)
            {
                return null;
            }
            var value = v.ToString();
            RefuseControlCharacters(name, value);
            return value;
        }
        var encoding = H("Content-Encoding");
        if (encoding is not null)
        {
            // aws-chunked describes the transfer, not the object.
            var kept = encoding.Split(',').Select(e => e.Trim()).Where(e => e.Length > 0 && e != "aws-chunked").ToArray();
            encoding = kept.Length == 0 ? null : string.Join(",", kept);
        }
        return new ObjectHeaders
        {
            ContentType = H("Content-Type"),
            ContentEncoding = encoding,
            ContentDisposition = H("Content-Disposition"),
            ContentLanguage = H("Content-Language"),
            CacheControl = H("Cache-Control"),
            Expires = H("Expires"),
        };
    }

    public static Dictionary<string, string> UserMetadata(HttpRequest request)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        var bytes = 0;
        foreach (var (name, value) in request.Headers)
        {
            if (name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
            {
                var key = name["x-amz-meta-".Length..].ToLowerInvariant();
                var v = value.ToString();
                RefuseControlCharacters(name, v);
                meta[key] = v;
                bytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(v);
            }
        }
        if (bytes > MaxUserMetadataBytes)
        {
            throw new S3Exception(S3ErrorCode.MetadataTooLarge).With("MaxSizeAllowed", MaxUserMetadataBytes.ToString());
        }
        return meta;
    }

    // Found by the wire fuzzer (issue 11): Kestrel accepts control characters in request header values;
    // stored, they made every GET and HEAD of the object a 500. Refused before anything is stored.
    // (Other non-ASCII text is kept and returned RFC 2047-encoded: ResponseHeaderValue.MailSafe.)
    private static void RefuseControlCharacters(string header, string value)
    {
        if (ResponseHeaderValue.HasControlCharacters(value))
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, $"The {header} header holds a control character.").With("ArgumentName", header);
        }
    }

    /// <summary>Parses <c>x-amz-tagging</c> (a URL-encoded query string).</summary>
    public static List<KeyValuePair<string, string>> TaggingHeader(string? value)
    {
        var tags = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(value))
        {
            return tags;
        }
        foreach (var pair in value.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var k = Decode(eq < 0 ? pair : pair[..eq]);
            var v = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            tags.Add(new(k, v));
        }
        ValidateTags(tags);
        return tags;

        static string Decode(string text) => PercentDecoding.DecodeUtf8(text.Replace('+', ' '))
            ?? throw new S3Exception(S3ErrorCode.InvalidTag, "The tag is not valid UTF-8 once percent-decoded.");
    }

    public static void ValidateTags(IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        if (tags.Count > MaxTags)
        {
            throw new S3Exception(S3ErrorCode.InvalidTag, "Object tags cannot be greater than 10");
        }
        if (tags.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() != tags.Count)
        {
            throw new S3Exception(S3ErrorCode.InvalidTag, "Cannot provide multiple Tags with the same key");
        }
        foreach (var (k, v) in tags)
        {
            if (k.Length is 0 or > 128)
            {
                throw new S3Exception(S3ErrorCode.InvalidTag, "The TagKey you have provided is invalid");
            }
            if (v.Length > 256)
            {
                throw new S3Exception(S3ErrorCode.InvalidTag, "The TagValue you have provided is invalid");
            }
        }
    }

    /// <summary>Parses <c>x-amz-copy-source</c>: <c>[/]bucket/key[?versionId=...]</c>, URL-encoded.</summary>
    public static (string Bucket, string Key) CopySource(string value)
    {
        var q = value.IndexOf('?');
        if (q >= 0)
        {
            var query = value[(q + 1)..];
            value = value[..q];
            if (query.StartsWith("versionId=", StringComparison.Ordinal) && query != "versionId=null")
            {
                throw new S3Exception(S3ErrorCode.NoSuchVersion);
            }
        }
        var decoded = (PercentDecoding.DecodeUtf8(value)
            ?? throw new S3Exception(S3ErrorCode.InvalidArgument, "Copy Source is not valid UTF-8 once percent-decoded.").With("ArgumentName", "x-amz-copy-source")).TrimStart('/');
        var slash = decoded.IndexOf('/');
        if (slash <= 0 || slash == decoded.Length - 1)
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").With("ArgumentName", "x-amz-copy-source");
        }
        return (decoded[..slash], decoded[(slash + 1)..]);
    }

    /// <summary>
    /// Parses a single <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c> Range header against an
    /// object of <paramref name="size"/> bytes. Returns null when the header is absent or not a single
    /// byte range (then the whole object is sent, as HTTP says); throws the object layer's
    /// <see cref="ObjectFailure.RangeNotSatisfiable"/> when it cannot be satisfied.
    /// </summary>
    public static ByteRange? Range(string? header, long size)
    {
        if (string.IsNullOrEmpty(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var spec = header[6..].Trim();
        var dash = spec.IndexOf('-');
        if (spec.Contains(',') || dash < 0)
        {
            return null;
        }
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            return long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) ? ByteRange.Suffix(suffix, size) : null;
        }
        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }
        long? end = null;
        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var lastByte) || lastByte < start)
            {
                return null;
            }
            end = lastByte;
        }
        return ByteRange.From(start, end, size);
    }
}
