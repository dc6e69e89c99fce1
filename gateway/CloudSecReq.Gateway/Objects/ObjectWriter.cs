using System.Security.Cryptography;
using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// PutObject and CopyObject: the write path, read top to bottom in the order the bytes flow. One per
/// gateway; thread-safe. Throws <see cref="ObjectException"/> for refusals (placement, quorum, conditions).
/// </summary>
internal sealed class ObjectWriter(IMetadataStore store, BlobStore blobs, SseKeys keys, StorageClassCatalog storageClasses, ObjectManifests manifests,
    HealQueue healing, GarbageCollector garbage, TimeProvider clock)
{
    /// <summary>Stores a new object (or replaces one) from <paramref name="input"/>'s body; visible only after the metadata commit.</summary>
    public async Task<ObjectRecord> PutAsync(PutObjectInput input, CancellationToken ct)
    {
        // Fail early on a sure failure; the metadata commit checks again in its own transaction.
        await WriteConditions.CheckAsync(store, input.Bucket.Name, input.ObjectKey, input.Condition, ct);
        var storageClass = storageClasses.ForWrite(input.Principal, input.StorageClass);
        var (encryption, dataKey) = await keys.NewAsync(input.Principal, input.Bucket, input.ObjectKey, input.Sse, ct);
        IngestResult ingest;
        SegmentCommit commit;
        using (dataKey)
        // Placement (a refusal is a 503 before any byte is read), then the stages: request body →
        // checksums → seal → erasure into k + m shard files, or a buffer for an inline object.
        await using (var segment = SegmentWrite.Open(blobs, storageClass, input.Body.DeclaredBytes, dataKey, partNumber: 0))
        {
            ingest = await input.Body.CopyToAsync(segment.Plaintext, ct);
            commit = await segment.CommitAsync(ct);
        }
        var record = new ObjectRecord
        {
            Bucket = input.Bucket.Name,
            Key = input.ObjectKey,
            Size = ingest.Size,
            ETag = ETag(encryption, ingest.Md5),
            LastModified = clock.GetUtcNow(),
            Headers = input.Headers,
            UserMetadata = input.UserMetadata,
            Tags = input.Tags,
            Checksum = ingest.Checksum,
            Segments = [commit.Segment],
            StorageClass = storageClass.Name,
            Encryption = encryption,
        };
        return await CommitAsync(record, commit, input.Condition, ct);
    }

    /// <summary>Stores a copy of <paramref name="input"/>'s source, always re-encrypted under a fresh data key.</summary>
    public async Task<ObjectRecord> CopyAsync(CopyObjectInput input, CancellationToken ct)
    {
        await WriteConditions.CheckAsync(store, input.Bucket.Name, input.ObjectKey, input.Condition, ct);
        var source = input.Source;
        var storageClass = storageClasses.ForWrite(input.Principal, input.StorageClass);
        var (encryption, dataKey) = await keys.NewAsync(input.Principal, input.Bucket, input.ObjectKey, input.Sse, ct);
        SegmentCommit commit;
        byte[] md5;
        using (dataKey)
        using (var sourceKey = source.Encryption is null ? null : keys.Open(input.Principal, source.Bucket, source.Key, source.Encryption, input.SourceCustomerKey))
        {
            (commit, md5) = await CopyBytesAsync(source, sourceKey, new ByteRange(0, source.Size), storageClass, dataKey, 0, ct);
        }
        var record = new ObjectRecord
        {
            Bucket = input.Bucket.Name,
            Key = input.ObjectKey,
            Size = source.Size,
            ETag = ETag(encryption, md5),
            LastModified = clock.GetUtcNow(),
            Headers = input.Headers,
            UserMetadata = input.UserMetadata,
            Tags = input.Tags,
            Checksum = source.Checksum is { Type: "FULL_OBJECT" } c ? c : null,
            Segments = [commit.Segment],
            StorageClass = storageClass.Name,
            Encryption = encryption,
        };
        return await CommitAsync(record, commit, input.Condition, ct);
    }

    /// <summary>
    /// Copies a range of an object's plaintext into a new durable segment sealed under
    /// <paramref name="dataKey"/>, hashing the plaintext with MD5 on the way; shard faults met
    /// reading the source queue it for healing.
    /// </summary>
    internal async Task<(SegmentCommit Commit, byte[] Md5)> CopyBytesAsync(ObjectRecord source, PinnedKey? sourceKey, ByteRange range, StorageClass storageClass,
        PinnedKey? dataKey, int partNumber, CancellationToken ct)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        IReadOnlyList<Erasure.Shards.ShardFault> faults;
        SegmentCommit commit;
        await using (var segment = SegmentWrite.Open(blobs, storageClass, range.Length, dataKey, partNumber))
        {
            var read = await ObjectBody.CopyAsync(blobs, manifests.Inline, source, sourceKey, range.Start, range.Length, segment.Plaintext, md5, ct);
            if (read.NoCopyReadable is { } failure)
            {
                throw failure;
            }
            faults = read.Faults;
            commit = await segment.CommitAsync(ct);
        }
        await ObjectFaults.ReportAsync(healing, source, faults);
        return (commit, md5.GetHashAndReset());
    }

    /// <summary>
    /// ETags as AWS gives them: the MD5 of the plaintext for SSE-S3 (sync tools rely on it), an opaque
    /// value for SSE-KMS and SSE-C (an MD5 there would be a fingerprint of the content).
    /// </summary>
    internal static string ETag(ObjectEncryption? encryption, byte[] md5) =>
        "\"" + Convert.ToHexStringLower(encryption is null || encryption.Mode == ObjectEncryption.SseS3 ? md5 : RandomNumberGenerator.GetBytes(16)) + "\"";

    /// <summary>
    /// The last stages: the object's manifest to the volumes (with its bytes, for an inline object),
    /// then the metadata commit; if either fails the new blobs and manifest copies are removed so
    /// nothing is left behind. Then the hooks: an object written degraded, with shards missing or with
    /// fewer than m + 1 inline copies is queued for healing; a replaced one's blobs are collected.
    /// </summary>
    private async Task<ObjectRecord> CommitAsync(ObjectRecord record, SegmentCommit commit, ObjectWriteCondition condition, CancellationToken ct)
    {
        WriteOutcome outcome;
        try
        {
            record = await manifests.WriteAsync(record, commit.InlineBytes, commit.PlannedVolumes, CancellationToken.None);
            outcome = await store.PutObjectIfAsync(record, condition, CancellationToken.None);
            if (outcome == WriteOutcome.PreconditionFailed)
            {
                // Lost to a write that changed the object after the early check: nothing of this one stays.
                throw WriteConditions.Conflict();
            }
        }
        catch
        {
            foreach (var seg in record.Segments)
            {
                blobs.Delete(seg);
            }
            await manifests.ReleaseAsync(record);
            throw;
        }
        if (commit.NeedsHealing)
        {
            await healing.ReportAsync(record.Bucket, record.Key, commit.Degraded ? "written degraded" : $"{commit.MissingShards.Count} shards could not be written");
        }
        else if (record.IsInline() && record.Manifests.Count <= record.Segments[0].ParityShards)
        {
            await healing.ReportAsync(record.Bucket, record.Key, $"{record.Manifests.Count} of {record.Segments[0].ParityShards + 1} copies could be written");
        }
        if (outcome == WriteOutcome.Replaced)
        {
            await garbage.CollectAsync(ct);
        }
        return record;
    }
}
