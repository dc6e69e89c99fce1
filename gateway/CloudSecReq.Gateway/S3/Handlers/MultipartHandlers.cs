using System.Globalization;
using System.Xml;
using CloudSecReq.Gateway.Checksums;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3.Xml;
using CloudSecReq.Gateway.ServerSideEncryption;

namespace CloudSecReq.Gateway.S3.Handlers;

/// <summary>CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts.</summary>
internal sealed class MultipartHandlers(MultipartUploads uploads)
{
    public async Task CreateMultipartUploadAsync(S3Request req)
    {
        string? algorithm = null;
        if (req.Header("x-amz-checksum-algorithm") is { } named)
        {
            if (!ChecksumNames.TryParse(named, out var a))
            {
                throw new S3Exception(S3ErrorCode.InvalidRequest, "Checksum algorithm provided is unsupported.");
            }
            algorithm = ChecksumNames.WireName(a);
        }
        using var sse = SseRequest.FromHeaders(req.Request.Headers);
        var upload = await uploads.CreateAsync(req.Principal, req.Bucket!, req.Key, ObjectRequestHeaders.ContentHeaders(req.Request),
            ObjectRequestHeaders.UserMetadata(req.Request), ObjectRequestHeaders.TaggingHeader(req.Header("x-amz-tagging")), algorithm,
            req.Header("x-amz-storage-class"), sse, req.Aborted);
        SseHeaders.Write(req.Response, upload.Encryption, sse.CustomerKey);
        if (algorithm is not null)
        {
            req.Response.Headers["x-amz-checksum-algorithm"] = algorithm;
        }
        await S3Xml.WriteAsync(req.Response, "InitiateMultipartUploadResult", w =>
        {
            w.WriteElementString("Bucket", upload.Bucket);
            w.WriteElementString("Key", upload.Key);
            w.WriteElementString("UploadId", upload.UploadId);
        });
    }

    private async Task<MultipartUpload> UploadAsync(S3Request req)
    {
        var uploadId = req.Query("uploadId") ?? "";
        return await uploads.FindAsync(req.BucketName, req.Key, uploadId, req.Aborted)
            ?? throw new S3Exception(S3ErrorCode.NoSuchUpload).With("UploadId", uploadId);
    }

    private static int PartNumber(S3Request req)
    {
        if (!int.TryParse(req.Query("partNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > ObjectLimits.MaxPartNumber)
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive").With("ArgumentName", "partNumber");
        }
        return n;
    }

    public async Task UploadPartAsync(S3Request req)
    {
        var ct = req.Aborted;
        var partNumber = PartNumber(req);
        var upload = await UploadAsync(req);
        ChecksumAlgorithm? algorithm = upload.ChecksumAlgorithm is { } name && ChecksumNames.TryParse(name, out var a) ? a : null;
        using var customer = CustomerKey.FromHeaders(req.Request.Headers);
        var part = await uploads.UploadPartAsync(req.Principal, upload, partNumber, customer, new RequestBody(req, ObjectLimits.MaxSinglePutBytes, algorithm), ct);
        req.Response.Headers.ETag = part.ETag;
        ObjectHandlers.WriteChecksumHeader(req.Response, part.Checksum);
        SseHeaders.Write(req.Response, upload.Encryption, customer);
        req.Response.StatusCode = 200;
    }

    public async Task UploadPartCopyAsync(S3Request req, S3Authorizer authorizer)
    {
        var ct = req.Aborted;
        var partNumber = PartNumber(req);
        var upload = await UploadAsync(req);
        var source = await authorizer.CopySourceAsync(req, ct);
        using var sourceCustomer = CustomerKey.FromHeaders(req.Request.Headers, "x-amz-copy-source-server-side-encryption-customer-");
        if (source.Encryption is { } sourceEncryption)
        {
            SseKeys.CheckCustomerKey(sourceEncryption, sourceCustomer);
        }
        using var customer = CustomerKey.FromHeaders(req.Request.Headers);
        Preconditions.CheckCopySource(req.Request, source);
        var range = new ByteRange(0, source.Size);
        if (req.Header("x-amz-copy-source-range") is { } rangeText)
        {
            var parsed = ParseCopyRange(rangeText, source.Size);
            range = parsed;
        }
        if (range.Length > ObjectLimits.MaxSinglePutBytes)
        {
            throw new S3Exception(S3ErrorCode.EntityTooLarge);
        }
        var part = await uploads.UploadPartCopyAsync(req.Principal, upload, partNumber, customer, source, sourceCustomer, range, ct);
        SseHeaders.Write(req.Response, upload.Encryption, customer);
        await S3Xml.WriteAsync(req.Response, "CopyPartResult", w =>
        {
            w.WriteElementString("LastModified", S3Xml.Time(part.LastModified));
            w.WriteElementString("ETag", part.ETag);
        });
    }

    private static ByteRange ParseCopyRange(string text, long size)
    {
        // x-amz-copy-source-range must be bytes=first-last, both given and inside the source.
        if (text.StartsWith("bytes=", StringComparison.Ordinal))
        {
            var parts = text[6..].Split('-');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last) && first <= last)
            {
                if (last >= size)
                {
                    throw new S3Exception(S3ErrorCode.InvalidRange).With("ActualObjectSize", size.ToString(CultureInfo.InvariantCulture));
                }
                return new ByteRange(first, last - first + 1);
            }
        }
        throw new S3Exception(S3ErrorCode.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
            .With("ArgumentName", "x-amz-copy-source-range");
    }

    public async Task CompleteMultipartUploadAsync(S3Request req)
    {
        var ct = req.Aborted;
        var upload = await UploadAsync(req);
        var condition = Preconditions.ForWrite(req.Request);
        await uploads.CheckConditionAsync(upload, condition, ct);
        var doc = S3Xml.Parse(await BodyIngest.ReadSmallAsync(req, S3Xml.MaxRequestBytes, ct));
        if (doc.Name.LocalName != "CompleteMultipartUpload")
        {
            throw new S3Exception(S3ErrorCode.MalformedXML);
        }
        var requested = new List<(int Number, string ETag)>();
        foreach (var p in doc.Children("Part"))
        {
            if (!int.TryParse(p.ChildValue("PartNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || p.ChildValue("ETag") is not { } etag)
            {
                throw new S3Exception(S3ErrorCode.MalformedXML);
            }
            requested.Add((n, etag));
        }
        if (requested.Count == 0)
        {
            throw new S3Exception(S3ErrorCode.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: it names no parts.");
        }
        for (var i = 1; i < requested.Count; i++)
        {
            if (requested[i].Number <= requested[i - 1].Number)
            {
                throw new S3Exception(S3ErrorCode.InvalidPartOrder);
            }
        }
        var record = await uploads.CompleteAsync(upload, requested, condition, ct);
        SseHeaders.Write(req.Response, record.Encryption);
        var location = $"{req.Request.Scheme}://{req.Request.Host}/{upload.Bucket}/{Uri.EscapeDataString(upload.Key)}";
        await S3Xml.WriteAsync(req.Response, "CompleteMultipartUploadResult", w =>
        {
            w.WriteElementString("Location", location);
            w.WriteElementString("Bucket", upload.Bucket);
            w.WriteElementString("Key", upload.Key);
            w.WriteElementString("ETag", record.ETag);
            if (record.Checksum is not null)
            {
                w.WriteElementString("Checksum" + record.Checksum.Algorithm, record.Checksum.Value);
                w.WriteElementString("ChecksumType", record.Checksum.Type);
            }
        });
    }

    public async Task AbortMultipartUploadAsync(S3Request req)
    {
        var uploadId = req.Query("uploadId") ?? "";
        if (!await uploads.AbortAsync(req.BucketName, uploadId, req.Aborted))
        {
            throw new S3Exception(S3ErrorCode.NoSuchUpload).With("UploadId", uploadId);
        }
        req.Response.StatusCode = 204;
    }

    public async Task ListPartsAsync(S3Request req)
    {
        var upload = await UploadAsync(req);
        var maxParts = 1000;
        if (req.Query("max-parts") is { } mp && (!int.TryParse(mp, NumberStyles.None, CultureInfo.InvariantCulture, out maxParts)))
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Provided max-parts not an integer or within integer range").With("ArgumentName", "max-parts");
        }
        maxParts = Math.Min(maxParts, 1000);
        var marker = 0;
        if (req.Query("part-number-marker") is { } pm && !int.TryParse(pm, NumberStyles.None, CultureInfo.InvariantCulture, out marker))
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Provided part-number-marker not an integer or within integer range").With("ArgumentName", "part-number-marker");
        }
        var page = await uploads.ListPartsAsync(upload, marker, maxParts, req.Aborted);
        await S3Xml.WriteAsync(req.Response, "ListPartsResult", w =>
        {
            w.WriteElementString("Bucket", upload.Bucket);
            w.WriteElementString("Key", upload.Key);
            w.WriteElementString("UploadId", upload.UploadId);
            WriteInitiator(w, req.Principal.Tenant, upload);
            BucketHandlers.WriteOwner(w, req.Principal.Tenant);
            w.WriteElementString("StorageClass", upload.StorageClass);
            w.WriteElementString("PartNumberMarker", marker.ToString(CultureInfo.InvariantCulture));
            if (page.Items.Count > 0)
            {
                w.WriteElementString("NextPartNumberMarker", page.Items[^1].PartNumber.ToString(CultureInfo.InvariantCulture));
            }
            w.WriteElementString("MaxParts", maxParts.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("IsTruncated", page.IsTruncated ? "true" : "false");
            if (upload.ChecksumAlgorithm is not null)
            {
                w.WriteElementString("ChecksumAlgorithm", upload.ChecksumAlgorithm);
            }

            foreach (var p in page.Items)
            {
                w.WriteStartElement("Part");
                w.WriteElementString("PartNumber", p.PartNumber.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("LastModified", S3Xml.Time(p.LastModified));
                w.WriteElementString("ETag", p.ETag);
                w.WriteElementString("Size", p.Size.ToString(CultureInfo.InvariantCulture));
                if (p.Checksum is not null)
                {
                    w.WriteElementString("Checksum" + p.Checksum.Algorithm, p.Checksum.Value);
                }

                w.WriteEndElement();
            }
        });
    }

    internal static void WriteInitiator(XmlWriter w, Tenant tenant, MultipartUpload upload)
    {
        w.WriteStartElement("Initiator");
        w.WriteElementString("ID", upload.InitiatorUser == "root" ? tenant.Id : $"arn:aws:iam::{tenant.AccountId}:user/{upload.InitiatorUser}");
        w.WriteElementString("DisplayName", upload.InitiatorUser);
        w.WriteEndElement();
    }
}
