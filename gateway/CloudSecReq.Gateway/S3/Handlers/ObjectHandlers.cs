using System.Globalization;
using CloudSecReq.Gateway.Checksums;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3.Xml;
using CloudSecReq.Gateway.ServerSideEncryption;

namespace CloudSecReq.Gateway.S3.Handlers;

/// <summary>PutObject, GetObject, HeadObject, CopyObject, DeleteObject, DeleteObjects.</summary>
internal sealed class ObjectHandlers(ObjectWriter writer, ObjectReader reader, ObjectDeleter deleter)
{
    public async Task PutObjectAsync(S3Request req)
    {
        if (req.Request.ContentLength is null && req.Header("x-amz-decoded-content-length") is null && req.Request.Headers.TransferEncoding.Count == 0)
        {
            throw new S3Exception(S3ErrorCode.MissingContentLength);
        }
        var headers = ObjectRequestHeaders.ContentHeaders(req.Request);
        var meta = ObjectRequestHeaders.UserMetadata(req.Request);
        var tags = ObjectRequestHeaders.TaggingHeader(req.Header("x-amz-tagging"));
        var condition = Preconditions.ForWrite(req.Request);
        using var sse = SseRequest.FromHeaders(req.Request.Headers);
        var record = await writer.PutAsync(new PutObjectInput(req.Principal, req.Bucket!, req.Key, headers, meta, tags, condition,
            req.Header("x-amz-storage-class"), sse, new RequestBody(req, ObjectLimits.MaxSinglePutBytes)), req.Aborted);
        req.Response.Headers.ETag = record.ETag;
        WriteChecksumHeader(req.Response, record.Checksum);
        SseHeaders.Write(req.Response, record.Encryption, sse.CustomerKey);
        req.Response.StatusCode = 200;
    }

    public async Task GetObjectAsync(S3Request req)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await AnswerAsync(req, withBody: true))
            {
                return;
            }
            if (req.Response.HasStarted || attempt >= 3)
            {
                throw new S3Exception(S3ErrorCode.ServiceUnavailable, ObjectBody.NoCopyReadable);
            }
            // The inline object was replaced under the read: read it as it is now, as if the GET had come a moment later.
            S3Dispatcher.ClearResponse(req.Response, req.RequestId);
        }
    }

    public async Task HeadObjectAsync(S3Request req) => await AnswerAsync(req, withBody: false);

    /// <summary>
    /// Answers a GET or HEAD: the object, or an expected outcome written here (a HEAD's 404, 304 Not
    /// Modified). False when an inline object was replaced under the read (nothing written): read it again.
    /// </summary>
    private async Task<bool> AnswerAsync(S3Request req, bool withBody)
    {
        var ct = req.Aborted;
        var record = await reader.HeadAsync(req.BucketName, req.Key, ct);
        if (req.Query("versionId") is { } v && v != "null")
        {
            throw new S3Exception(S3ErrorCode.NoSuchVersion).With("Key", req.Key).With("VersionId", v);
        }
        if (record is null)
        {
            if (!withBody)
            {
                // A HEAD has no body to carry the error: the status is the answer.
                S3ErrorWriter.WriteWithoutBody(req.Http, S3ErrorCode.NoSuchKey);
                return true;
            }
            throw new S3Exception(S3ErrorCode.NoSuchKey).With("Key", req.Key);
        }
        var overrides = ResponseOverrides(req);
        using var customer = CustomerKey.FromHeaders(req.Request.Headers);
        if (record.Encryption is { } encryption)
        {
            SseKeys.CheckCustomerKey(encryption, customer);
        }
        if (Preconditions.ForRead(req.Request).Check(record) is { } stop)
        {
            if (!stop.NotModified)
            {
                throw new S3Exception(S3ErrorCode.PreconditionFailed).With("Condition", stop.Header);
            }
            S3ErrorWriter.WriteWithoutBody(req.Http, S3ErrorCode.NotModified);
            return true;
        }
        // Only GET needs the key, as in AWS: HEAD answers metadata even when the KMS key is disabled,
        // pending deletion or destroyed, and the GET then says why (KMS.DisabledException ...); clients
        // such as `aws s3 cp` HEAD first and can only report an error body that a GET carries.
        using var dataKey = withBody ? reader.OpenDataKey(req.Principal, record, customer) : null;

        ByteRange? range;
        if (req.Query("partNumber") is { } partText)
        {
            range = PartRange(record, partText);
            req.Response.Headers["x-amz-mp-parts-count"] = Math.Max(record.PartsCount, 1).ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            range = ObjectRequestHeaders.Range(req.Header("Range"), record.Size);
        }
        var response = req.Response;
        WriteObjectHeaders(response, record, req.Header("x-amz-checksum-mode") == "ENABLED" && range is null);
        SseHeaders.Write(response, record.Encryption, customer);
        if (withBody)
        {
            ApplyResponseOverrides(req, overrides);
        }
        var offset = range?.Start ?? 0;
        var length = range?.Length ?? record.Size;
        if (range is { } r && (r.Start != 0 || r.Length != record.Size || req.Header("Range") is not null))
        {
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {r.Start}-{r.End}/{record.Size}";
        }
        else
        {
            response.StatusCode = 200;
        }
        response.ContentLength = length;
        return !withBody || length == 0
            || await reader.GetAsync(record, dataKey, new ByteRange(offset, length), response.Body, ct) == GetObjectOutcome.Read;
    }

    private static ByteRange PartRange(ObjectRecord record, string partText)
    {
        if (!int.TryParse(partText, NumberStyles.None, CultureInfo.InvariantCulture, out var part) || part < 1 || part > ObjectLimits.MaxPartNumber)
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive").With("ArgumentName", "partNumber");
        }
        return ByteRange.OfPart(record, part);
    }

    internal static void WriteObjectHeaders(HttpResponse response, ObjectRecord record, bool withChecksum)
    {
        var h = response.Headers;
        h.ETag = record.ETag;
        h.LastModified = record.LastModified.ToString("r", CultureInfo.InvariantCulture);
        h.AcceptRanges = "bytes";
        // Stored as received; returned mail-safe (RFC 2047 when not printable ASCII), as AWS does.
        h.ContentType = ResponseHeaderValue.MailSafe(record.Headers.ContentType ?? "binary/octet-stream");
        if (record.Headers.ContentEncoding is { } ce)
        {
            h.ContentEncoding = ResponseHeaderValue.MailSafe(ce);
        }

        if (record.Headers.ContentDisposition is { } cd)
        {
            h.ContentDisposition = ResponseHeaderValue.MailSafe(cd);
        }

        if (record.Headers.ContentLanguage is { } cl)
        {
            h.ContentLanguage = ResponseHeaderValue.MailSafe(cl);
        }

        if (record.Headers.CacheControl is { } cc)
        {
            h.CacheControl = ResponseHeaderValue.MailSafe(cc);
        }

        if (record.Headers.Expires is { } ex)
        {
            h.Expires = ResponseHeaderValue.MailSafe(ex);
        }

        foreach (var (k, v) in record.UserMetadata)
        {
            h["x-amz-meta-" + k] = ResponseHeaderValue.MailSafe(v);
        }
        if (record.Tags.Count > 0)
        {
            h["x-amz-tagging-count"] = record.Tags.Count.ToString(CultureInfo.InvariantCulture);
        }
        if (record.StorageClass != "STANDARD")
        {
            h["x-amz-storage-class"] = record.StorageClass;
        }
        if (withChecksum)
        {
            WriteChecksumHeader(response, record.Checksum);
        }
    }

    internal static void WriteChecksumHeader(HttpResponse response, ObjectChecksum? checksum)
    {
        if (checksum is not null && ChecksumNames.TryParse(checksum.Algorithm, out var a))
        {
            response.Headers[ChecksumNames.HeaderName(a)] = checksum.Value;
            response.Headers["x-amz-checksum-type"] = checksum.Type;
        }
    }

    private static readonly (string Query, string Header)[] s_responseOverrides =
    [
        ("response-content-type", "Content-Type"), ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"), ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"), ("response-content-encoding", "Content-Encoding"),
    ];

    /// <summary>
    /// The response-* query parameters of a GET, checked before any work: a control character (CR,
    /// LF, NUL ...) could split or end the response header, so it is refused; other text is sent mail-safe.
    /// </summary>
    private static List<(string Header, string Value)> ResponseOverrides(S3Request req)
    {
        var overrides = new List<(string, string)>();
        foreach (var (query, header) in s_responseOverrides)
        {
            if (req.Query(query) is { } value)
            {
                if (ResponseHeaderValue.HasControlCharacters(value))
                {
                    throw new S3Exception(S3ErrorCode.InvalidArgument, $"{query} must not contain control characters.").With("ArgumentName", query);
                }
                overrides.Add((header, ResponseHeaderValue.MailSafe(value)));
            }
        }
        return overrides;
    }

    private static void ApplyResponseOverrides(S3Request req, List<(string Header, string Value)> overrides)
    {
        foreach (var (header, value) in overrides)
        {
            req.Response.Headers[header] = value;
        }
    }

    public async Task DeleteObjectAsync(S3Request req)
    {
        if (req.Query("versionId") is { } v && v != "null")
        {
            throw new S3Exception(S3ErrorCode.NoSuchVersion).With("Key", req.Key).With("VersionId", v);
        }
        await deleter.DeleteAsync(req.BucketName, req.Key, req.Aborted);
        req.Response.StatusCode = 204;
    }

    public async Task DeleteObjectsAsync(S3Request req)
    {
        var ct = req.Aborted;
        var doc = S3Xml.Parse(await BodyIngest.ReadSmallAsync(req, S3Xml.MaxRequestBytes, ct));
        if (doc.Name.LocalName != "Delete")
        {
            throw new S3Exception(S3ErrorCode.MalformedXML);
        }
        var quiet = string.Equals(doc.ChildValue("Quiet"), "true", StringComparison.OrdinalIgnoreCase);
        var objects = doc.Children("Object").Select(o => (Key: o.ChildValue("Key"), VersionId: o.ChildValue("VersionId"))).ToList();
        if (objects.Count is 0 or > 1000 || objects.Any(o => string.IsNullOrEmpty(o.Key)))
        {
            throw new S3Exception(S3ErrorCode.MalformedXML);
        }
        // Only the null version exists (no versioning): any other version is NoSuchVersion for that key alone.
        var results = objects.Select(o => (Key: o.Key!, o.VersionId, Error: o.VersionId is not null && o.VersionId != "null" ? S3ErrorCode.NoSuchVersion : (S3ErrorCode?)null)).ToList();
        await deleter.DeleteObjectsAsync(req.BucketName, results.Where(r => r.Error is null).Select(r => r.Key), ct);
        await S3Xml.WriteAsync(req.Response, "DeleteResult", w =>
        {
            foreach (var (key, versionId, error) in results)
            {
                if (error is { } code)
                {
                    w.WriteStartElement("Error");
                    w.WriteElementString("Key", key);
                    w.Element("VersionId", versionId);
                    w.WriteElementString("Code", code.ToString());
                    w.WriteElementString("Message", S3ErrorTable.Get(code).Message);
                    w.WriteEndElement();
                }
                else if (!quiet)
                {
                    w.WriteStartElement("Deleted");
                    w.WriteElementString("Key", key);
                    w.Element("VersionId", versionId);
                    w.WriteEndElement();
                }
            }
        });
    }

    public async Task CopyObjectAsync(S3Request req, S3Authorizer authorizer)
    {
        var ct = req.Aborted;
        var source = await authorizer.CopySourceAsync(req, ct);
        using var sourceCustomer = CustomerKey.FromHeaders(req.Request.Headers, "x-amz-copy-source-server-side-encryption-customer-");
        if (source.Encryption is { } sourceEncryption)
        {
            SseKeys.CheckCustomerKey(sourceEncryption, sourceCustomer);
        }
        Preconditions.CheckCopySource(req.Request, source);
        var condition = Preconditions.ForWrite(req.Request);
        using var sse = SseRequest.FromHeaders(req.Request.Headers);
        var directive = req.Header("x-amz-metadata-directive") ?? "COPY";
        var tagDirective = req.Header("x-amz-tagging-directive") ?? "COPY";
        if (directive is not ("COPY" or "REPLACE") || tagDirective is not ("COPY" or "REPLACE"))
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Unknown metadata or tagging directive.").With("ArgumentName", "x-amz-metadata-directive");
        }
        var sameObject = source.Bucket == req.BucketName && source.Key == req.Key;
        if (sameObject && directive == "COPY" && tagDirective == "COPY" && req.Header("x-amz-storage-class") is null && sse.Algorithm is null && sse.CustomerKey is null)
        {
            throw new S3Exception(S3ErrorCode.InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        }
        if (source.Size > ObjectLimits.MaxSinglePutBytes)
        {
            throw new S3Exception(S3ErrorCode.InvalidRequest, "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120");
        }
        var headers = directive == "REPLACE" ? ObjectRequestHeaders.ContentHeaders(req.Request) : source.Headers;
        var meta = directive == "REPLACE" ? ObjectRequestHeaders.UserMetadata(req.Request) : source.UserMetadata;
        var tags = tagDirective == "REPLACE" ? ObjectRequestHeaders.TaggingHeader(req.Header("x-amz-tagging")) : source.Tags;
        // Always re-encrypted: a fresh data key for the destination, whatever the source used.
        var record = await writer.CopyAsync(new CopyObjectInput(req.Principal, req.Bucket!, req.Key, source, sourceCustomer, headers, meta, tags, condition,
            req.Header("x-amz-storage-class") ?? source.StorageClass, sse), ct);
        SseHeaders.Write(req.Response, record.Encryption, sse.CustomerKey);
        await S3Xml.WriteAsync(req.Response, "CopyObjectResult", w =>
        {
            w.WriteElementString("LastModified", S3Xml.Time(record.LastModified));
            w.WriteElementString("ETag", record.ETag);
        });
    }
}
