using System.Globalization;
using System.Security.Cryptography;
using System.Xml;
using CloudSecReq.Gateway.Checksums;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.Storage;
using CloudSecReq.Gateway.S3.Xml;
using CloudSecReq.Gateway.ServerSideEncryption;

namespace CloudSecReq.Gateway.S3.Handlers;

/// <summary>CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts.</summary>
internal sealed class MultipartHandlers(S3Services s, ObjectWriter writer, ObjectManifests manifests, SseKeys keys)
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
        var (encryption, dataKey) = await keys.NewAsync(req.Principal, req.Bucket!, req.Key, sse, req.Aborted);
        dataKey?.Dispose(); // each part unwraps it again from the upload's record
        var upload = new MultipartUpload
        {
            UploadId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
            Bucket = req.BucketName,
            Key = req.Key,
            Initiated = s.Clock.GetUtcNow(),
            InitiatorTenantId = req.Principal.Tenant.Id,
            InitiatorUser = req.Principal.User.Name,
            Headers = ObjectRequestHeaders.ContentHeaders(req.Request),
            UserMetadata = ObjectRequestHeaders.UserMetadata(req.Request),
            Tags = ObjectRequestHeaders.TaggingHeader(req.Header("x-amz-tagging")),
            ChecksumAlgorithm = algorithm,
            StorageClass = s.StorageClasses.ForWrite(req.Principal, req.Header("x-amz-storage-class")).Name,
            Encryption = encryption,
        };
        await s.Store.CreateUploadAsync(upload, req.Aborted);
        SseHeaders.Write(req.Response, encryption, sse.CustomerKey);
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
        var upload = await s.Store.GetUploadAsync(req.BucketName, uploadId, req.Aborted);
        if (upload is null || upload.Key != req.Key)
        {
            throw new S3Exception(S3ErrorCode.NoSuchUpload).With("UploadId", uploadId);
        }
        return upload;
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
        IngestResult ingest;
        SegmentCommit commit;
        using (var dataKey = await UploadDataKeyAsync(req, upload, customer))
        await using (var segment = SegmentWrite.Open(s.Blobs, s.StorageClasses.ForUpload(upload.StorageClass), BodyIngest.DeclaredLength(req), dataKey, partNumber))
        {
            ingest = await BodyIngest.CopyToAsync(req, segment.Plaintext, ObjectLimits.MaxSinglePutBytes, algorithm, ct);
            commit = await segment.CommitAsync(ct);
        }
        var part = new UploadPart(upload.UploadId, partNumber, ingest.Size, ObjectWriter.ETag(upload.Encryption, ingest.Md5), s.Clock.GetUtcNow(), ingest.Checksum, commit.Segment);
        await StorePartAsync(upload, part, commit, ct);
        req.Response.Headers.ETag = part.ETag;
        ObjectHandlers.WriteChecksumHeader(req.Response, part.Checksum);
        SseHeaders.Write(req.Response, upload.Encryption, customer);
        req.Response.StatusCode = 200;
    }

    private async Task<PinnedKey?> UploadDataKeyAsync(S3Request req, MultipartUpload upload, CustomerKey? customer) =>
        upload.Encryption is null ? null : await keys.OpenAsync(req.Principal, upload.Bucket, upload.Key, upload.Encryption, customer, req.Aborted);

    private async Task StorePartAsync(MultipartUpload upload, UploadPart part, SegmentCommit commit, CancellationToken ct)
    {
        bool stored;
        try
        {
            stored = await s.Store.PutPartAsync(part, CancellationToken.None);
        }
        catch
        {
            s.Blobs.Delete(part.Segment);
            throw;
        }
        if (!stored)
        {
            s.Blobs.Delete(part.Segment);
            throw new S3Exception(S3ErrorCode.NoSuchUpload).With("UploadId", part.UploadId);
        }
        if (commit.NeedsHealing)
        {
            // A part is healed like an object (issue 11): written degraded or short of shards, it is queued as a part.
            await s.Healing.ReportPartAsync(upload.Bucket, upload.Key, upload.UploadId, part.PartNumber,
                commit.Degraded ? "written degraded" : $"{commit.MissingShards.Count} shards could not be written");
        }
        await s.Garbage.CollectAsync(ct);
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
        Preconditions.Check(req.Request, source, prefix: "x-amz-copy-source-", notModifiedAsFailure: true);
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
        SegmentCommit commit;
        byte[] md5;
        using (var dataKey = await UploadDataKeyAsync(req, upload, customer))
        using (var sourceKey = source.Encryption is null ? null : await keys.OpenAsync(req.Principal, source.Bucket, source.Key, source.Encryption, sourceCustomer, ct))
        {
            (commit, md5) = await writer.CopyBytesAsync(source, sourceKey, range, s.StorageClasses.ForUpload(upload.StorageClass), dataKey, partNumber, ct);
        }
        var part = new UploadPart(upload.UploadId, partNumber, range.Length, ObjectWriter.ETag(upload.Encryption, md5), s.Clock.GetUtcNow(), null, commit.Segment);
        SseHeaders.Write(req.Response, upload.Encryption, customer);
        await StorePartAsync(upload, part, commit, ct);
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
        if (condition != ObjectWriteCondition.None)
        {
            Preconditions.CheckWrite(condition, await s.Store.GetObjectAsync(upload.Bucket, upload.Key, ct), upload.Key);
        }
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
        // The healer may swap rebuilt shards into a part (or a client upload it again) while this runs:
        // the store then refuses the completion, and it is built again from the parts as they are now.
        ObjectRecord? record = null;
        List<string> partsToHeal = [];
        for (var attempt = 0; attempt < MaxCompleteAttempts && record is null; attempt++)
        {
            (record, partsToHeal) = await TryCompleteAsync(upload, requested, condition, ct);
        }
        if (record is null)
        {
            throw new S3Exception(S3ErrorCode.ServiceUnavailable, "The parts of the upload changed while it was completed; please retry.");
        }
        await s.Garbage.CollectAsync(ct);
        if (partsToHeal.Count > 0)
        {
            await s.Healing.ReportAsync(record.Bucket, record.Key, "completed from parts missing shards: " + string.Join("; ", partsToHeal.Take(4)));
        }
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

    private const int MaxCompleteAttempts = 3;

    /// <summary>
    /// Builds the object from the parts as stored now and commits it. Returns null when a part changed
    /// between reading and committing (nothing was committed); throws the request's S3 errors.
    /// </summary>
    private async Task<(ObjectRecord? Record, List<string> PartsToHeal)> TryCompleteAsync(MultipartUpload upload, List<(int Number, string ETag)> requested,
        ObjectWriteCondition condition, CancellationToken ct)
    {
        var stored = new Dictionary<int, UploadPart>();
        var marker = 0;
        while (true)
        {
            var page = await s.Store.ListPartsAsync(upload.UploadId, marker, 1000, ct);
            foreach (var p in page.Items) stored[p.PartNumber] = p;
            if (!page.IsTruncated) break;
            marker = page.Items[^1].PartNumber;
        }
        var parts = new List<UploadPart>();
        for (var i = 0; i < requested.Count; i++)
        {
            var (number, etag) = requested[i];
            if (!stored.TryGetValue(number, out var part) || part.ETag.Trim('"') != etag.Trim().Trim('"'))
            {
                throw new S3Exception(S3ErrorCode.InvalidPart).With("PartNumber", number.ToString(CultureInfo.InvariantCulture)).With("UploadId", upload.UploadId);
            }
            if (i < requested.Count - 1 && part.Size < ObjectLimits.MinPartBytes)
            {
                throw new S3Exception(S3ErrorCode.EntityTooSmall).With("PartNumber", number.ToString(CultureInfo.InvariantCulture))
                    .With("ProposedSize", part.Size.ToString(CultureInfo.InvariantCulture)).With("MinSizeAllowed", ObjectLimits.MinPartBytes.ToString(CultureInfo.InvariantCulture));
            }
            parts.Add(part);
        }
        var partsToHeal = await CheckPartsReadableAsync(upload, parts, ct);
        using var md5s = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        foreach (var p in parts)
        {
            md5s.AppendData(Convert.FromHexString(p.ETag.Trim('"')));
        }
        var record = new ObjectRecord
        {
            Bucket = upload.Bucket,
            Key = upload.Key,
            Size = parts.Sum(p => p.Size),
            ETag = $"\"{Convert.ToHexStringLower(md5s.GetHashAndReset())}-{parts.Count}\"",
            LastModified = s.Clock.GetUtcNow(),
            Headers = upload.Headers,
            UserMetadata = upload.UserMetadata,
            Tags = upload.Tags,
            Checksum = CompositeChecksum(upload, parts),
            Segments = parts.Select(p => p.Segment).ToList(),
            StorageClass = upload.StorageClass,
            PartsCount = parts.Count,
            PartSizes = parts.Select(p => p.Size).ToList(),
            Encryption = upload.Encryption,
        };
        record = await manifests.WriteAsync(record, null, null, ct);
        WriteOutcome outcome;
        try
        {
            outcome = await s.Store.CompleteUploadAsync(upload.UploadId, record, condition, CancellationToken.None);
        }
        catch
        {
            await manifests.ReleaseAsync(record);
            throw;
        }
        if (outcome is WriteOutcome.Created or WriteOutcome.Replaced)
        {
            return (record, partsToHeal);
        }
        await manifests.ReleaseAsync(record);
        return outcome switch
        {
            WriteOutcome.NoSuchUpload => throw new S3Exception(S3ErrorCode.NoSuchUpload).With("UploadId", upload.UploadId),
            WriteOutcome.PreconditionFailed => throw Preconditions.WriteConflict(),
            _ => (null, []), // PartsChanged: built again from the parts as they are now
        };
    }

    /// <summary>
    /// Issue 11: an object completed from a part that cannot be read is lost at once, so every part is
    /// checked first (<see cref="SegmentPresence"/>: shard files present with this part's headers and
    /// lengths, no block read). A part with fewer than k intact shards refuses the whole request and
    /// commits nothing; the upload stays as it was, so the client can upload that part again:
    /// 503 ServiceUnavailable when enough of its shards are on volumes out of use to read it once they
    /// return, else 400 InvalidPart (its data is gone). Returns the parts readable but missing shards,
    /// for the heal queue.
    /// </summary>
    private async Task<List<string>> CheckPartsReadableAsync(MultipartUpload upload, List<UploadPart> parts, CancellationToken ct)
    {
        var degraded = new List<string>();
        foreach (var part in parts.Where(p => !p.Segment.Inline))
        {
            var presence = await SegmentPresence.CheckAsync(s.Blobs, part.Segment, ct);
            int n = part.Segment.Shards.Count, k = part.Segment.DataShards;
            var number = part.PartNumber.ToString(CultureInfo.InvariantCulture);
            if (presence.Intact >= k)
            {
                if (presence.Intact < n)
                {
                    degraded.Add($"part {number}: {string.Join(", ", presence.Problems)}");
                }
                continue;
            }
            if (presence.Intact + presence.OutOfUse >= k)
            {
                throw new S3Exception(S3ErrorCode.ServiceUnavailable,
                    $"Part {number} cannot be read right now: {presence.Intact} of its {n} shards are intact on volumes in use, {k} are needed. " +
                    "Retry when the storage volumes are back, or upload the part again.");
            }
            throw new S3Exception(S3ErrorCode.InvalidPart,
                $"Part {number} can no longer be read: {presence.Intact} of its {n} shards are intact, {k} are needed. Upload the part again and complete the upload with its new ETag.")
                .With("PartNumber", number).With("UploadId", upload.UploadId);
        }
        return degraded;
    }

    /// <summary>S3's composite checksum: the checksum of the parts' checksums, suffixed with -N.</summary>
    private static ObjectChecksum? CompositeChecksum(MultipartUpload upload, List<UploadPart> parts)
    {
        if (upload.ChecksumAlgorithm is null || !ChecksumNames.TryParse(upload.ChecksumAlgorithm, out var a) || parts.Any(p => p.Checksum is null))
        {
            return null;
        }
        using var c = new StreamChecksum(a);
        foreach (var p in parts)
        {
            c.Append(Convert.FromBase64String(p.Checksum!.Value));
        }
        return new ObjectChecksum(upload.ChecksumAlgorithm, $"{c.GetBase64()}-{parts.Count}", "COMPOSITE");
    }

    public async Task AbortMultipartUploadAsync(S3Request req)
    {
        var uploadId = req.Query("uploadId") ?? "";
        if (!await s.Store.AbortUploadAsync(req.BucketName, uploadId, req.Aborted))
        {
            throw new S3Exception(S3ErrorCode.NoSuchUpload).With("UploadId", uploadId);
        }
        await s.Garbage.CollectAsync(req.Aborted);
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
        var page = await s.Store.ListPartsAsync(upload.UploadId, marker, maxParts, req.Aborted);
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
            if (upload.ChecksumAlgorithm is not null) w.WriteElementString("ChecksumAlgorithm", upload.ChecksumAlgorithm);
            foreach (var p in page.Items)
            {
                w.WriteStartElement("Part");
                w.WriteElementString("PartNumber", p.PartNumber.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("LastModified", S3Xml.Time(p.LastModified));
                w.WriteElementString("ETag", p.ETag);
                w.WriteElementString("Size", p.Size.ToString(CultureInfo.InvariantCulture));
                if (p.Checksum is not null) w.WriteElementString("Checksum" + p.Checksum.Algorithm, p.Checksum.Value);
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
