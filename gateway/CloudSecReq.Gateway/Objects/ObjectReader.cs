using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// GetObject and HeadObject: the read path, in the order the bytes flow: metadata → data key →
/// shards or inline copies (<see cref="ObjectBody"/>: rebuilt, verified, decrypted) → destination →
/// heal hook. The protocol evaluates its conditions and writes its headers between the lookup and
/// the read. One per gateway; thread-safe.
/// </summary>
internal sealed class ObjectReader(IMetadataStore store, BlobStore blobs, InlineCopies inline, SseKeys keys, HealQueue healing)
{
    /// <summary>The object's metadata, or null when the key holds no object.</summary>
    public Task<ObjectRecord?> HeadAsync(string bucket, string objectKey, CancellationToken ct) =>
        store.GetObjectAsync(bucket, objectKey, ct);

    /// <summary>
    /// The data key that opens <paramref name="record"/> (null when it is stored unencrypted), for
    /// <paramref name="principal"/> and, for SSE-C, the request's <paramref name="customer"/> key.
    /// The caller owns and disposes it. Throws KMS errors as <see cref="Kms.Api.KmsException"/>.
    /// </summary>
    public PinnedKey? OpenDataKey(Principal principal, ObjectRecord record, CustomerKey? customer) =>
        record.Encryption is null ? null : keys.Open(principal, record.Bucket, record.Key, record.Encryption, customer);

    /// <summary>
    /// Streams the verified plaintext of <paramref name="range"/> of <paramref name="record"/> to
    /// <paramref name="destination"/>; shard faults worked around queue the object for healing.
    /// Returns <see cref="GetObjectOutcome.Replaced"/> (nothing written) for the inline re-read race.
    /// Throws <see cref="ObjectFailure.Unavailable"/> when too few shards or copies are readable,
    /// <see cref="Encryption.SegmentIntegrityException"/> when no choice of them authenticates.
    /// </summary>
    public async Task<GetObjectOutcome> GetAsync(ObjectRecord record, PinnedKey? dataKey, ByteRange range, Stream destination, CancellationToken ct)
    {
        var read = await ObjectBody.CopyAsync(blobs, inline, record, dataKey, range.Start, range.Length, destination, null, ct);
        if (read.NoCopyReadable is not { } failure)
        {
            await ObjectFaults.ReportAsync(healing, record, read.Faults);
            return GetObjectOutcome.Read;
        }
        // Replaced between the lookup and the read, and the replaced copies already overwritten?
        if (await store.GetObjectAsync(record.Bucket, record.Key, ct) is { } now && !now.Manifests.SequenceEqual(record.Manifests))
        {
            return GetObjectOutcome.Replaced;
        }
        throw failure;
    }
}
