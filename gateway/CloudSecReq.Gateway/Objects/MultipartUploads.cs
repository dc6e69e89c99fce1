using System.Globalization;
using System.Security.Cryptography;
using CloudSecReq.Gateway.Checksums;
using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
/// ListParts. A part is written like a single PUT's body (<see cref="SegmentWrite"/>, never inline)
/// and committed as a part; Complete copies no data: the object's segments are its parts'. One per
/// gateway; thread-safe. Throws <see cref="ObjectException"/> for refusals.
/// </summary>
internal sealed class MultipartUploads(IMetadataStore store, BlobStore blobs, SseKeys keys, StorageClassCatalog storageClasses, ObjectWriter writer,
    ObjectManifests manifests, HealQueue healing, GarbageCollector garbage, TimeProvider clock)
{
    /// <summary>
    /// Starts an upload: the data key is made now (and wrapped into the upload's record; each part
    /// unwraps it again), the storage class chosen now. Returns the stored upload.
    /// </summary>
    public async Task<MultipartUpload> CreateAsync(Principal principal, Bucket bucket, string objectKey, ObjectHeaders headers,
        IReadOnlyDictionary<string, string> userMetadata, IReadOnlyList<KeyValuePair<string, string>> tags, string? checksumAlgorithm, string? storageClass,
        SseRequest sse, CancellationToken ct)
    {
        var (encryption, dataKey) = await keys.NewAsync(principal, bucket, objectKey, sse, ct);
        dataKey?.Dispose(); // each part unwraps it again from the upload's record
        var upload = new MultipartUpload
        {
            UploadId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
            Bucket = bucket.Name,
            Key = objectKey,
            Initiated = clock.GetUtcNow(),
            InitiatorTenantId = principal.Tenant.Id,
            InitiatorUser = principal.User.Name,
            Headers = headers,
            UserMetadata = userMetadata,
            Tags = tags,
            ChecksumAlgorithm = checksumAlgorithm,
            StorageClass = storageClasses.ForWrite(principal, storageClass).Name,
            Encryption = encryption,
        };
        await store.CreateUploadAsync(upload, ct);
        return upload;
    }

    /// <summary>The upload, or null when there is none of that id for that object key.</summary>
    public async Task<MultipartUpload?> FindAsync(string bucket, string objectKey, string uploadId, CancellationToken ct) =>
        await store.GetUploadAsync(bucket, uploadId, ct) is { } upload && upload.Key == objectKey ? upload : null;

    /// <summary>
    /// Stores part <paramref name="partNumber"/> from <paramref name="body"/>: upload's data key →
    /// placement → body → checksums → seal → erasure → durable shards → part commit → heal/garbage hooks.
    /// </summary>
    public async Task<UploadPart> UploadPartAsync(Principal principal, MultipartUpload upload, int partNumber, CustomerKey? customer, IObjectBodySource body,
        CancellationToken ct)
    {
        IngestResult ingest;
        SegmentCommit commit;
        using (var dataKey = DataKey(principal, upload, customer))
        await using (var segment = SegmentWrite.Open(blobs, storageClasses.ForUpload(upload.StorageClass), body.DeclaredBytes, dataKey, partNumber))
        {
            ingest = await body.CopyToAsync(segment.Plaintext, ct);
            commit = await segment.CommitAsync(ct);
        }
        var part = new UploadPart(upload.UploadId, partNumber, ingest.Size, ObjectWriter.ETag(upload.Encryption, ingest.Md5), clock.GetUtcNow(), ingest.Checksum, commit.Segment);
        await StorePartAsync(upload, part, commit, ct);
        return part;
    }

    /// <summary>Stores part <paramref name="partNumber"/> as a copy of <paramref name="range"/> of <paramref name="source"/>, re-encrypted.</summary>
    public async Task<UploadPart> UploadPartCopyAsync(Principal principal, MultipartUpload upload, int partNumber, CustomerKey? customer,
        ObjectRecord source, CustomerKey? sourceCustomer, ByteRange range, CancellationToken ct)
    {
        SegmentCommit commit;
        byte[] md5;
        using (var dataKey = DataKey(principal, upload, customer))
        using (var sourceKey = source.Encryption is null ? null : keys.Open(principal, source.Bucket, source.Key, source.Encryption, sourceCustomer))
        {
            (commit, md5) = await writer.CopyBytesAsync(source, sourceKey, range, storageClasses.ForUpload(upload.StorageClass), dataKey, partNumber, ct);
        }
        var part = new UploadPart(upload.UploadId, partNumber, range.Length, ObjectWriter.ETag(upload.Encryption, md5), clock.GetUtcNow(), null, commit.Segment);
        await StorePartAsync(upload, part, commit, ct);
        return part;
    }

    private PinnedKey? DataKey(Principal principal, MultipartUpload upload, CustomerKey? customer) =>
        upload.Encryption is null ? null : keys.Open(principal, upload.Bucket, upload.Key, upload.Encryption, customer);

    private async Task StorePartAsync(MultipartUpload upload, UploadPart part, SegmentCommit commit, CancellationToken ct)
    {
        bool stored;
        try
        {
            stored = await store.PutPartAsync(part, CancellationToken.None);
        }
        catch
        {
            blobs.Delete(part.Segment);
            throw;
        }
        if (!stored)
        {
            blobs.Delete(part.Segment);
            throw new ObjectException(ObjectFailure.NoSuchUpload).With("UploadId", part.UploadId);
        }
        if (commit.NeedsHealing)
        {
            // A part is healed like an object (issue 11): written degraded or short of shards, it is queued as a part.
            await healing.ReportPartAsync(upload.Bucket, upload.Key, upload.UploadId, part.PartNumber,
                commit.Degraded ? "written degraded" : $"{commit.MissingShards.Count} shards could not be written");
        }
        await garbage.CollectAsync(ct);
    }

    /// <summary>Throws PreconditionFailed (or NoSuchKey) early when the completion's condition surely fails; the commit checks again.</summary>
    public Task CheckConditionAsync(MultipartUpload upload, ObjectWriteCondition condition, CancellationToken ct) =>
        WriteConditions.CheckAsync(store, upload.Bucket, upload.Key, condition, ct);

    /// <summary>
    /// Completes the upload from <paramref name="requested"/> parts (numbers ascending, checked by the
    /// caller): manifest → metadata commit (the upload's parts become the object's segments) → garbage
    /// and heal hooks. Returns the committed object.
    /// </summary>
    public async Task<ObjectRecord> CompleteAsync(MultipartUpload upload, List<(int Number, string ETag)> requested, ObjectWriteCondition condition, CancellationToken ct)
    {
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
            throw new ObjectException(ObjectFailure.Unavailable, "The parts of the upload changed while it was completed; please retry.");
        }
        await garbage.CollectAsync(ct);
        if (partsToHeal.Count > 0)
        {
            await healing.ReportAsync(record.Bucket, record.Key, "completed from parts missing shards: " + string.Join("; ", partsToHeal.Take(4)));
        }
        return record;
    }

    private const int MaxCompleteAttempts = 3;

    /// <summary>
    /// Builds the object from the parts as stored now and commits it. Returns null when a part changed
    /// between reading and committing (nothing was committed); throws the request's refusals.
    /// </summary>
    private async Task<(ObjectRecord? Record, List<string> PartsToHeal)> TryCompleteAsync(MultipartUpload upload, List<(int Number, string ETag)> requested,
        ObjectWriteCondition condition, CancellationToken ct)
    {
        var stored = new Dictionary<int, UploadPart>();
        var marker = 0;
        while (true)
        {
            var page = await store.ListPartsAsync(upload.UploadId, marker, 1000, ct);
            foreach (var p in page.Items)
            {
                stored[p.PartNumber] = p;
            }

            if (!page.IsTruncated)
            {
                break;
            }

            marker = page.Items[^1].PartNumber;
        }
        var parts = new List<UploadPart>();
        for (var i = 0; i < requested.Count; i++)
        {
            var (number, etag) = requested[i];
            if (!stored.TryGetValue(number, out var part) || part.ETag.Trim('"') != etag.Trim().Trim('"'))
            {
                throw new ObjectException(ObjectFailure.InvalidPart).With("PartNumber", number.ToString(CultureInfo.InvariantCulture)).With("UploadId", upload.UploadId);
            }
            if (i < requested.Count - 1 && part.Size < ObjectLimits.MinPartBytes)
            {
                throw new ObjectException(ObjectFailure.EntityTooSmall).With("PartNumber", number.ToString(CultureInfo.InvariantCulture))
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
            LastModified = clock.GetUtcNow(),
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
            outcome = await store.CompleteUploadAsync(upload.UploadId, record, condition, CancellationToken.None);
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
            WriteOutcome.NoSuchUpload => throw new ObjectException(ObjectFailure.NoSuchUpload).With("UploadId", upload.UploadId),
            WriteOutcome.PreconditionFailed => throw WriteConditions.Conflict(),
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
            var presence = await SegmentPresence.CheckAsync(blobs, part.Segment, ct);
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
                throw new ObjectException(ObjectFailure.Unavailable,
                    $"Part {number} cannot be read right now: {presence.Intact} of its {n} shards are intact on volumes in use, {k} are needed. " +
                    "Retry when the storage volumes are back, or upload the part again.");
            }
            throw new ObjectException(ObjectFailure.InvalidPart,
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

    /// <summary>Aborts the upload; its parts' shard files become garbage. False when there is no such upload.</summary>
    public async Task<bool> AbortAsync(string bucket, string uploadId, CancellationToken ct)
    {
        if (!await store.AbortUploadAsync(bucket, uploadId, ct))
        {
            return false;
        }
        await garbage.CollectAsync(ct);
        return true;
    }

    /// <summary>One page of the upload's parts, after <paramref name="partNumberMarker"/>.</summary>
    public Task<ListPage<UploadPart>> ListPartsAsync(MultipartUpload upload, int partNumberMarker, int maxParts, CancellationToken ct) =>
        store.ListPartsAsync(upload.UploadId, partNumberMarker, maxParts, ct);
}
