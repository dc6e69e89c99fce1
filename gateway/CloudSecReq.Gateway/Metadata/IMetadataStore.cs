namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// The metadata index: tenants, users, access keys, buckets, objects, multipart uploads. One
/// interface so that PostgreSQL can follow SQLite; every backend must pass the contract tests.
/// Methods that drop references to stored blobs record them as garbage in the same transaction;
/// the caller deletes the blobs after the commit and then calls <see cref="ForgetGarbageAsync"/>.
/// All methods are thread-safe.
/// </summary>
internal interface IMetadataStore : IAsyncDisposable
{
    Task CreateTenantAsync(Tenant tenant, User root, CancellationToken ct);
    Task<Tenant?> GetTenantAsync(string tenantId, CancellationToken ct);
    Task<Tenant?> FindTenantByNameAsync(string name, CancellationToken ct);
    Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken ct);

    /// <summary>Returns false when the tenant already has a user of that name.</summary>
    Task<bool> CreateUserAsync(User user, CancellationToken ct);
    Task<User?> GetUserAsync(string tenantId, string name, CancellationToken ct);
    Task<IReadOnlyList<User>> ListUsersAsync(string tenantId, CancellationToken ct);

    Task CreateAccessKeyAsync(AccessKey accessKey, CancellationToken ct);
    Task<AccessKey?> GetAccessKeyAsync(string accessKeyId, CancellationToken ct);
    Task<IReadOnlyList<AccessKey>> ListAccessKeysAsync(string tenantId, CancellationToken ct);
    /// <summary>Enables or disables an access key; false when there is no such key.</summary>
    Task<bool> SetAccessKeyActiveAsync(string accessKeyId, bool active, CancellationToken ct);
    /// <summary>Deletes an access key; false when there is no such key.</summary>
    Task<bool> DeleteAccessKeyAsync(string accessKeyId, CancellationToken ct);
    /// <summary>Deletes a user with its access keys, in one transaction; returns the deleted keys' ids, or null when there is no such user.</summary>
    Task<IReadOnlyList<string>?> DeleteUserAsync(string tenantId, string name, CancellationToken ct);
    /// <summary>
    /// Deletes a tenant with its users and access keys, in one transaction, only when it owns no bucket.
    /// Returns the deleted keys' ids; null when it owns a bucket (nothing is deleted).
    /// </summary>
    Task<IReadOnlyList<string>?> DeleteTenantIfEmptyAsync(string tenantId, CancellationToken ct);

    Task<BucketCreateResult> CreateBucketAsync(Bucket bucket, CancellationToken ct);
    Task<Bucket?> GetBucketAsync(string name, CancellationToken ct);
    Task<IReadOnlyList<Bucket>> ListBucketsAsync(string tenantId, CancellationToken ct);
    /// <summary>Sets (or with null removes) a bucket's default encryption; false when the bucket does not exist.</summary>
    Task<bool> SetBucketEncryptionAsync(string name, BucketEncryption? encryption, CancellationToken ct);
    /// <summary>Deletes an empty bucket, aborting its multipart uploads. Returns false when it still holds objects.</summary>
    Task<bool> DeleteBucketAsync(string name, CancellationToken ct);

    Task<ObjectRecord?> GetObjectAsync(string bucket, string key, CancellationToken ct);
    /// <summary>
    /// Stores or replaces an object; the replaced object's segments and manifest copies become
    /// garbage. Returns true when an object was replaced (there is garbage to collect).
    /// </summary>
    Task<bool> PutObjectAsync(ObjectRecord record, CancellationToken ct);
    /// <summary>
    /// Stores or replaces an object only while <paramref name="condition"/> holds for the stored one,
    /// checked in the same transaction: Created, Replaced (garbage to collect) or PreconditionFailed.
    /// </summary>
    Task<WriteOutcome> PutObjectIfAsync(ObjectRecord record, ObjectWriteCondition condition, CancellationToken ct);
    /// <summary>Deletes an object; its segments become garbage. Returns false when there was none.</summary>
    Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken ct);
    /// <summary>
    /// Replaces the stored object with <paramref name="replacement"/> (same bucket and key) only while
    /// it is still <paramref name="expected"/> (same ETag, LastModified, blobs and manifest copies, which
    /// hold an inline object's bytes and its tags); manifest copies of
    /// the old record that the new one does not keep become garbage. False when the object is gone or
    /// was replaced meanwhile.
    /// </summary>
    Task<bool> ReplaceObjectIfUnchangedAsync(ObjectRecord expected, ObjectRecord replacement, CancellationToken ct);
    /// <summary>Objects whose keys start with <paramref name="prefix"/> and sort after <paramref name="startAfter"/>, in UTF-8 binary order.</summary>
    Task<ListPage<ObjectRecord>> ListObjectsAsync(string bucket, string prefix, string? startAfter, int limit, CancellationToken ct);
    /// <summary>The objects encrypted under a KMS key (by key ARN): what deleting the key would shred.</summary>
    Task<IReadOnlyList<(string Bucket, string Key)>> ListObjectsByKmsKeyAsync(string keyArn, int limit, CancellationToken ct);

    Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct);
    Task<MultipartUpload?> GetUploadAsync(string bucket, string uploadId, CancellationToken ct);
    /// <summary>Stores or replaces a part; a replaced part's segment becomes garbage. False when the upload is gone.</summary>
    Task<bool> PutPartAsync(UploadPart part, CancellationToken ct);
    Task<ListPage<UploadPart>> ListPartsAsync(string uploadId, int partNumberMarker, int limit, CancellationToken ct);
    Task<ListPage<MultipartUpload>> ListUploadsAsync(string bucket, string prefix, string? keyMarker, string? uploadIdMarker, int limit, CancellationToken ct);
    /// <summary>
    /// Atomically turns an upload into an object: stores <paramref name="record"/>, removes the upload,
    /// and marks the parts not used by the object (and a replaced object) as garbage.
    /// Changes nothing and returns NoSuchUpload when the upload no longer exists, PartsChanged when a
    /// segment of <paramref name="record"/> is no longer exactly a stored part's (the healer swapped
    /// shards into the part, or it was uploaded again, since the caller read it), PreconditionFailed
    /// when <paramref name="condition"/> does not hold for the stored object; else Created or Replaced.
    /// </summary>
    Task<WriteOutcome> CompleteUploadAsync(string uploadId, ObjectRecord record, ObjectWriteCondition condition, CancellationToken ct);
    /// <summary>Removes the upload; its parts become garbage. False when it did not exist.</summary>
    Task<bool> AbortUploadAsync(string bucket, string uploadId, CancellationToken ct);

    /// <summary>Shard files no longer referenced, waiting to be overwritten and deleted.</summary>
    Task<IReadOnlyList<ShardBlob>> ListGarbageAsync(int limit, CancellationToken ct);
    Task ForgetGarbageAsync(IReadOnlyList<ShardBlob> blobs, CancellationToken ct);
    /// <summary>Manifest copies of replaced or deleted objects, waiting to be overwritten in their volume's log.</summary>
    Task<IReadOnlyList<ManifestCopy>> ListManifestGarbageAsync(int limit, CancellationToken ct);
    Task ForgetManifestGarbageAsync(IReadOnlyList<ManifestCopy> copies, CancellationToken ct);
    /// <summary>How many shard files and manifest copies wait for the background overwrite (the overwrite queue's depth, for /metrics).</summary>
    Task<(long ShardFiles, long ManifestCopies)> CountGarbageAsync(CancellationToken ct);
    /// <summary>
    /// Queues shard files and manifest copies that nothing references (found by a metadata rebuild:
    /// superseded object versions) for the background overwrite.
    /// </summary>
    Task QueueGarbageAsync(IReadOnlyList<DataSegment> segments, IReadOnlyList<ManifestCopy> manifests, CancellationToken ct);

    /// <summary>
    /// A number that changes whenever tenants, users, access keys or buckets change (in this or any
    /// other process): the gateway writes a catalog snapshot to the volumes when it moves.
    /// </summary>
    Task<long> GetCatalogVersionAsync(CancellationToken ct);

    /// <summary>
    /// Compare-and-swap of one segment, for the healer: when the stored object
    /// <paramref name="bucket"/>/<paramref name="key"/> still holds a segment with exactly the shards
    /// of <paramref name="expected"/>, replaces it with <paramref name="replacement"/> (same bytes,
    /// some shards rebuilt elsewhere) and records the shards of <paramref name="expected"/> that
    /// <paramref name="replacement"/> no longer uses as garbage, in one transaction. Returns false,
    /// changing nothing, when the object is gone or was overwritten meanwhile; the caller then releases
    /// the shards it wrote for <paramref name="replacement"/>.
    /// </summary>
    Task<bool> SwapSegmentAsync(string bucket, string key, DataSegment expected, DataSegment replacement, CancellationToken ct);

    /// <summary>
    /// Compare-and-swap of the segment of part <paramref name="partNumber"/> of open upload
    /// <paramref name="uploadId"/>, for the healer, as <see cref="SwapSegmentAsync"/> does for an
    /// object: false, changing nothing, when the upload is gone (completed, aborted) or the part was
    /// uploaded again meanwhile.
    /// </summary>
    Task<bool> SwapPartSegmentAsync(string uploadId, int partNumber, DataSegment expected, DataSegment replacement, CancellationToken ct);

    /// <summary>
    /// Queues an object (or an upload's part, <see cref="HealRequest.UploadId"/>) whose shards need
    /// healing; one already queued is queued once, with the newer reason and time.
    /// </summary>
    Task QueueHealAsync(HealRequest request, CancellationToken ct);
    /// <summary>The oldest queued heal requests.</summary>
    Task<IReadOnlyList<HealRequest>> ListHealQueueAsync(int limit, CancellationToken ct);
    Task<long> CountHealQueueAsync(CancellationToken ct);
    /// <summary>Drops a handled request (not one queued again after it).</summary>
    Task ForgetHealAsync(HealRequest request, CancellationToken ct);
}
