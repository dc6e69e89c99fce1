using System.Text;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Metadata;
using Microsoft.AspNetCore.Http;

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
            // Found by the wire fuzzer (issue 11): a value that a response header cannot carry (a control
            // character, a non-ASCII one) was stored, and every GET and HEAD of the object was then a 500
            // when Kestrel refused to send it back. Refused here, before anything is stored.
            if (value.Any(c => c is (< ' ' and not '\t') or >= '\u007f'))
            {
                throw new S3Exception(S3ErrorCode.InvalidArgument, $"The {name} header holds a character that cannot be returned in an HTTP header.")
                    .With("ArgumentName", name);
            }
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
                if (v.Any(c => c is (< ' ' and not '\t') or '\u007f'))
                {
                    // Found by the wire fuzzer (issue 11): a control character was stored, and every GET and
                    // HEAD of the object was then a 500. (Non-ASCII values are a separate fix: issue 11's list.)
                    throw new S3Exception(S3ErrorCode.InvalidArgument, $"The {name} header holds a control character, which cannot be returned in an HTTP header.")
                        .With("ArgumentName", name);
                }
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
}
