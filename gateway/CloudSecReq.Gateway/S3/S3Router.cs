using Microsoft.AspNetCore.Http.Features;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// Maps a request to an <see cref="S3Operation"/>, bucket and key, for path-style
/// (<c>host/bucket/key</c>) and virtual-host-style (<c>bucket.domain/key</c>) addressing.
/// </summary>
internal sealed class S3Router(IReadOnlyList<string> domains)
{
    public const int MaxKeyBytes = 1024;

    // Subresources we know and do not serve yet: they answer NotImplemented rather than being
    // mistaken for the plain operation (e.g. PUT ?acl must not overwrite the object).
    private static readonly string[] s_unsupportedSubresources =
    [
        "acl", "policy", "policyStatus", "cors", "lifecycle", "encryption", "tagging", "website", "logging", "notification",
        "replication", "object-lock", "ownershipControls", "publicAccessBlock", "accelerate", "requestPayment", "analytics",
        "metrics", "inventory", "intelligent-tiering", "legal-hold", "retention", "restore", "select", "torrent", "attributes",
        "versionId", "uploads", "uploadId", "delete", "location", "versioning", "versions", "partNumber", "session",
    ];

    public S3Route Route(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.ToString();
        var q = raw.IndexOf('?');
        var path = PercentDecoding.DecodeUtf8(q < 0 ? raw : raw[..q])
            ?? throw new S3Exception(S3ErrorCode.InvalidURI, "Couldn't parse the specified URI: it is not valid UTF-8 once percent-decoded.");
        if (q >= 0)
        {
            CheckQueryIsUtf8(raw[(q + 1)..]);
        }
        if (path.Length == 0 || path[0] != '/')
        {
            path = "/" + path;
        }
        var bucket = VirtualHostBucket(request.Host.Host);
        string? key;
        if (bucket is not null)
        {
            key = path.Length > 1 ? path[1..] : null;
        }
        else
        {
            var rest = path[1..];
            var slash = rest.IndexOf('/');
            bucket = slash < 0 ? rest : rest[..slash];
            key = slash < 0 || slash == rest.Length - 1 ? null : rest[(slash + 1)..];
            if (bucket.Length == 0)
            {
                bucket = null;
            }
        }
        if (key is not null && System.Text.Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            throw new S3Exception(S3ErrorCode.KeyTooLongError).With("Key", key[..64] + "...");
        }
        return new S3Route(Operation(request.Method, request.Query, request.Headers, bucket, key), bucket, key);
    }

    // ASP.NET leaves a percent-escape that does not decode to UTF-8 as literal text ("%FF"), which
    // would alias prefix=%FF to prefix=%25FF: refuse such parameters, as AWS does.
    private static void CheckQueryIsUtf8(string rawQuery)
    {
        foreach (var part in rawQuery.Split('&'))
        {
            if (PercentDecoding.DecodeUtf8(part) is null)
            {
                var eq = part.IndexOf('=');
                throw new S3Exception(S3ErrorCode.InvalidArgument, "A query parameter is not valid UTF-8 once percent-decoded.")
                    .With("ArgumentName", eq < 0 ? "" : PercentDecoding.DecodeUtf8(part[..eq]) ?? "");
            }
        }
    }

    private string? VirtualHostBucket(string host)
    {
        foreach (var domain in domains)
        {
            if (host.Length > domain.Length + 1 && host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase))
            {
                return host[..^(domain.Length + 1)];
            }
        }
        return null;
    }

    private static S3Operation Operation(string method, IQueryCollection query, IHeaderDictionary headers, string? bucket, string? key)
    {
        bool Has(string name) => query.ContainsKey(name);
        if (bucket is null)
        {
            return method == "GET" ? S3Operation.ListBuckets : S3Operation.Unsupported;
        }
        if (key is null)
        {
            return method switch
            {
                "PUT" when Has("encryption") => S3Operation.PutBucketEncryption,
                "PUT" => Plain(query) ? S3Operation.CreateBucket : S3Operation.Unsupported,
                "HEAD" => S3Operation.HeadBucket,
                "DELETE" when Has("encryption") => S3Operation.DeleteBucketEncryption,
                "DELETE" => Plain(query) ? S3Operation.DeleteBucket : S3Operation.Unsupported,
                "POST" => Has("delete") ? S3Operation.DeleteObjects : S3Operation.Unsupported,
                "GET" when Has("location") => S3Operation.GetBucketLocation,
                "GET" when Has("locate") => S3Operation.GetBucketDataLocation,
                "GET" when Has("versioning") => S3Operation.GetBucketVersioning,
                "GET" when Has("encryption") => S3Operation.GetBucketEncryption,
                "GET" when Has("uploads") => S3Operation.ListMultipartUploads,
                "GET" when Has("versions") => S3Operation.ListObjectVersions,
                "GET" when !Plain(query) => S3Operation.Unsupported,
                "GET" when query["list-type"] == "2" => S3Operation.ListObjectsV2,
                "GET" => S3Operation.ListObjects,
                _ => S3Operation.Unsupported,
            };
        }
        return method switch
        {
            "PUT" when Has("tagging") => S3Operation.PutObjectTagging,
            "PUT" when Has("partNumber") && Has("uploadId") => headers.ContainsKey("x-amz-copy-source") ? S3Operation.UploadPartCopy : S3Operation.UploadPart,
            "PUT" when !Plain(query) => S3Operation.Unsupported,
            "PUT" => headers.ContainsKey("x-amz-copy-source") ? S3Operation.CopyObject : S3Operation.PutObject,
            "GET" when Has("tagging") => S3Operation.GetObjectTagging,
            "GET" when Has("locate") => S3Operation.GetObjectLocation,
            "GET" when Has("uploadId") => S3Operation.ListParts,
            "GET" when !Plain(query, "partNumber", "versionId") => S3Operation.Unsupported,
            "GET" => S3Operation.GetObject,
            "HEAD" when !Plain(query, "partNumber", "versionId") => S3Operation.Unsupported,
            "HEAD" => S3Operation.HeadObject,
            "DELETE" when Has("tagging") => S3Operation.DeleteObjectTagging,
            "DELETE" when Has("uploadId") => S3Operation.AbortMultipartUpload,
            "DELETE" when !Plain(query, "versionId") => S3Operation.Unsupported,
            "DELETE" => S3Operation.DeleteObject,
            "POST" when Has("uploads") => S3Operation.CreateMultipartUpload,
            "POST" when Has("uploadId") => S3Operation.CompleteMultipartUpload,
            _ => S3Operation.Unsupported,
        };
    }

    /// <summary>True when the query names no subresource we do not serve (besides the allowed ones).</summary>
    private static bool Plain(IQueryCollection query, params string[] allowed) =>
        !s_unsupportedSubresources.Any(s => query.ContainsKey(s) && !allowed.Contains(s));
}
