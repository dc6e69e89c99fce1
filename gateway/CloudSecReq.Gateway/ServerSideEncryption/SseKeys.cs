using System.Security.Cryptography;
using System.Text;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Tenants;
using CloudSecReq.Kms;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>
/// Data keys for objects: chooses the encryption of a new object (request, else bucket default,
/// else SSE-S3), makes a fresh random data key and wraps it — under the bucket key, under the tenant
/// key in the HSM, or under the customer's SSE-C key — and unwraps it again for reads. The data key
/// is bound (as AES-GCM associated data) to the bucket, object key and mode. Thread-safe.
/// </summary>
internal sealed class SseKeys(KmsService kms, BucketKeyCache bucketKeys)
{
    /// <summary>The tenant's key behind SSE-S3 and behind SSE-KMS without a key id, as in AWS.</summary>
    public const string ManagedKeyAlias = "alias/aws/s3";

    public BucketKeyCache BucketKeys => bucketKeys;

    private static KmsCaller Caller(Principal p, bool asPlatform) =>
        new(p.Tenant.Id, p.Tenant.AccountId, p.Arn, asPlatform || p.User.IsRoot);

    /// <summary>
    /// Encryption for a new object (or multipart upload) and its data key, which the caller disposes.
    /// Both are null only in the benchmark build with encryption compiled out
    /// (<c>-c BenchPlaintext</c>), which exists to measure what encryption costs.
    /// </summary>
    public async Task<(ObjectEncryption? Encryption, PinnedKey? DataKey)> NewAsync(Principal principal, Bucket bucket, string objectKey, SseRequest request, CancellationToken ct)
    {
#if CSR_BENCH_PLAINTEXT
        _ = (kms, bucketKeys, principal, bucket, objectKey, request);
        await Task.CompletedTask;
        return (null, null);
#else
        if (request.CustomerKey is { } customer)
        {
            var dataKey = PinnedKey.Random(32);
            var salt = RandomNumberGenerator.GetBytes(16);
            return (new ObjectEncryption
            {
                Mode = ObjectEncryption.SseC,
                WrappedDataKey = Seal(customer.Key, dataKey, Aad(bucket.Name, objectKey, ObjectEncryption.SseC)),
                CustomerKeySalt = salt,
                CustomerKeyMac = customer.Mac(salt),
            }, dataKey);
        }
        var defaults = bucket.Encryption ?? BucketEncryption.Default;
        var mode = request.Algorithm ?? defaults.Algorithm;
        var keyId = request.Algorithm is not null ? request.KmsKeyId : defaults.KmsKeyId;
        var bucketKeyEnabled = mode == ObjectEncryption.SseS3 || (request.BucketKeyEnabled ?? (defaults.Algorithm == ObjectEncryption.SseKms && defaults.BucketKeyEnabled));
        var platform = mode == ObjectEncryption.SseS3;
        var caller = Caller(principal, platform);
        var keyArn = platform || keyId is null
            ? kms.DataKeys.EnsureManagedKey(caller with { IsTenantRoot = true }, ManagedKeyAlias, "Default key for S3 server-side encryption (SSE-S3 and SSE-KMS without a key id)")
            : kms.DataKeys.ResolveKeyArn(caller, keyId);
        var encryption = new ObjectEncryption
        {
            Mode = mode,
            KeyArn = keyArn,
            Context = request.Context,
            BucketKeyEnabled = bucketKeyEnabled,
            WrappedDataKey = [],
        };
        if (bucketKeyEnabled)
        {
            var (bucketKey, wrappedBucketKey) = await bucketKeys.ForWriteAsync(caller, bucket.Name, keyArn, ct);
            using (bucketKey)
            {
                var dataKey = PinnedKey.Random(32);
                return (encryption with { WrappedBucketKey = wrappedBucketKey, WrappedDataKey = Seal(bucketKey, dataKey, Aad(bucket.Name, objectKey, mode)) }, dataKey);
            }
        }
        // Without a bucket key, every object costs one HSM operation.
        var generated = bucketKeys.CallKms(() => kms.DataKeys.GenerateDataKey(caller, keyArn, ObjectContext(bucket.Name, objectKey, request.Context)));
        return (encryption with { WrappedDataKey = generated.CiphertextBlob }, PinnedKey.Take(generated.Plaintext));
#endif
    }

    /// <summary>
    /// The data key of a stored object or upload, which the caller disposes. SSE-C objects need the
    /// same customer key (<see cref="SseException"/> otherwise); KMS errors (disabled,
    /// pending deletion, destroyed key) propagate as <see cref="KmsException"/>. Synchronous: a cache hit is memory
    /// only, a miss one HSM operation on the calling thread.
    /// </summary>
    public PinnedKey Open(Principal principal, string bucket, string objectKey, ObjectEncryption encryption, CustomerKey? customer)
    {
        if (encryption.Mode == ObjectEncryption.SseC)
        {
            CheckCustomerKey(encryption, customer);
            return OpenSealed(customer!.Key, encryption.WrappedDataKey, Aad(bucket, objectKey, encryption.Mode));
        }
        var caller = Caller(principal, encryption.Mode == ObjectEncryption.SseS3);
        if (encryption.WrappedBucketKey is { } wrappedBucketKey)
        {
            using var bucketKey = bucketKeys.Unwrap(caller, wrappedBucketKey, BucketKeyCache.BucketContext(bucket));
            return OpenSealed(bucketKey, encryption.WrappedDataKey, Aad(bucket, objectKey, encryption.Mode));
        }
        return bucketKeys.Unwrap(caller, encryption.WrappedDataKey, ObjectContext(bucket, objectKey, encryption.Context));
    }

    /// <summary>Checks the SSE-C key a request brings against the object's (HEAD needs this without the data key).</summary>
    public static void CheckCustomerKey(ObjectEncryption encryption, CustomerKey? customer)
    {
        if (encryption.Mode != ObjectEncryption.SseC)
        {
            if (customer is not null)
            {
                throw new SseException(SseFailure.CustomerKeyNotApplicable, "The encryption parameters are not applicable to this object.");
            }
            return;
        }
        if (customer is null)
        {
            throw new SseException(SseFailure.CustomerKeyRequired, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.");
        }
        if (!CryptographicOperations.FixedTimeEquals(customer.Mac(encryption.CustomerKeySalt), encryption.CustomerKeyMac))
        {
            throw new SseException(SseFailure.CustomerKeyMismatch, "The provided SSE-C key does not match the object's key.");
        }
    }

    private static Dictionary<string, string> ObjectContext(string bucket, string objectKey, IReadOnlyDictionary<string, string>? given)
    {
        var context = new Dictionary<string, string>(given ?? new Dictionary<string, string>()) { ["aws:s3:arn"] = $"arn:aws:s3:::{bucket}/{objectKey}" };
        return context;
    }

    private static byte[] Aad(string bucket, string objectKey, string mode) =>
        Encoding.UTF8.GetBytes($"cloudsecreq/data-key/v1\0{bucket}\0{objectKey}\0{mode}");

    /// <summary>AES-256-GCM: nonce(12) ‖ ciphertext ‖ tag(16).</summary>
    private static byte[] Seal(PinnedKey wrappingKey, PinnedKey dataKey, byte[] aad)
    {
        var output = new byte[12 + dataKey.Bytes.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var gcm = new AesGcm(wrappingKey.Bytes, 16);
        gcm.Encrypt(output.AsSpan(0, 12), dataKey.Bytes, output.AsSpan(12, dataKey.Bytes.Length), output.AsSpan(output.Length - 16), aad);
        return output;
    }

    private static PinnedKey OpenSealed(PinnedKey wrappingKey, byte[] sealedKey, byte[] aad)
    {
        if (sealedKey.Length != 12 + 32 + 16)
        {
            throw new CryptographicException("The wrapped data key has the wrong length.");
        }
        var plain = GC.AllocateArray<byte>(32, pinned: true);
        try
        {
            using var gcm = new AesGcm(wrappingKey.Bytes, 16);
            gcm.Decrypt(sealedKey.AsSpan(0, 12), sealedKey.AsSpan(12, 32), sealedKey.AsSpan(44, 16), plain, aad);
            return PinnedKey.Take(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plain);
            throw new CryptographicException("The wrapped data key does not open under this key and object.");
        }
    }
}
