using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Keys;

namespace CloudSecReq.Kms;

/// Data keys for the S3 path, without JSON. Each call is one HSM AES-GCM operation under the tenant key
/// (tens of thousands per second at best on SoftHSM): cache per bucket on the hot path (S3 Bucket Keys) and drop
/// caches on <see cref="KmsService.KeyStateChanged"/>. Thread safe. Errors are <see cref="KmsException"/>:
/// NotFound, Disabled, KMSInvalidState, AccessDenied, InvalidCiphertext (wrong context or tampered blob),
/// KeyUnavailable (HSM unreachable: retryable, S3 answers 503). Every call is synchronous: a PKCS#11 call blocks its
/// thread, and there is no I/O to wait for asynchronously.
public sealed class KmsDataKeys
{
    private readonly TenantKeyResolver _resolver;
    private readonly TenantKeyLifecycle _lifecycle;
    private readonly TenantKeyCrypto _crypto;

    internal KmsDataKeys(TenantKeyResolver resolver, TenantKeyLifecycle lifecycle, TenantKeyCrypto crypto) =>
        (_resolver, _lifecycle, _crypto) = (resolver, lifecycle, crypto);

    /// Generates a random data key of <paramref name="numberOfBytes"/> (default 32) and encrypts it under the tenant
    /// key <paramref name="keyId"/> (UUID, key ARN, alias name or alias ARN) with <paramref name="encryptionContext"/>
    /// as authenticated data. Authorised as kms:GenerateDataKey for <paramref name="caller"/>. One HSM operation on
    /// the calling thread.
    public KmsDataKey GenerateDataKey(KmsCaller caller, string keyId, IReadOnlyDictionary<string, string>? encryptionContext, int numberOfBytes = 32)
    {
        var (key, plaintext, blob) = _crypto.GenerateDataKey(caller, keyId, numberOfBytes, encryptionContext, "kms:GenerateDataKey");
        return new KmsDataKey(_resolver.Arn(key), plaintext, blob);
    }

    /// Decrypts a data key's CiphertextBlob with the same <paramref name="encryptionContext"/> it was made with.
    /// The key and version are named by the blob. Authorised as kms:Decrypt. The caller owns the returned bytes.
    /// One HSM operation on the calling thread.
    public byte[] Decrypt(KmsCaller caller, ReadOnlySpan<byte> ciphertextBlob, IReadOnlyDictionary<string, string>? encryptionContext) =>
        _crypto.Decrypt(caller, ciphertextBlob, encryptionContext, null).Plaintext;

    /// The ARN of the tenant's key behind a reserved alias such as <c>alias/aws/s3</c>, creating the key on first use
    /// (HSM and SQLite, under a lock). Afterwards no lock, no SQL and no HSM call: the alias and key rows are cached.
    public string EnsureManagedKey(KmsCaller caller, string aliasName, string description) =>
        _resolver.Arn(_lifecycle.EnsureManagedKey(caller, aliasName, description));

    /// The ARN of a key named by UUID, ARN, alias name or alias ARN, as <paramref name="caller"/> may use it for
    /// GenerateDataKey. Throws NotFound, Disabled, KMSInvalidState or AccessDenied like GenerateDataKey would.
    /// No HSM call; SQL only for a key or alias row not read before.
    public string ResolveKeyArn(KmsCaller caller, string keyId) => _resolver.Arn(_resolver.Resolve(caller, keyId, "kms:GenerateDataKey"));

    /// Checks that <paramref name="caller"/> may use the key <paramref name="keyId"/> (UUID, ARN or alias) for
    /// <paramref name="action"/> (e.g. "kms:GenerateDataKey") now: a key of the caller's tenant, Enabled, whose key policy
    /// allows the action for the caller. No HSM call and no SQL (key rows are cached in memory; parsed policies too).
    /// The S3 path calls this before every use of a cached bucket or data key: caches hold key material, never
    /// decisions. Throws <see cref="KmsException"/> NotFound, Disabled, KMSInvalidState or AccessDenied, as the HSM call
    /// would. Thread safe.
    public void AuthorizeUse(KmsCaller caller, string keyId, string action) => _resolver.AuthorizeUse(caller, keyId, action);

    /// The same check for the key a CiphertextBlob names (e.g. "kms:Decrypt" before a cached unwrapped key is used);
    /// InvalidCiphertext when it is not a blob of ours.
    public void AuthorizeUse(KmsCaller caller, ReadOnlySpan<byte> ciphertextBlob, string action)
    {
        if (!CiphertextBlob.TryParse(ciphertextBlob, out var keyId, out _))
        {
            throw new KmsException(KmsErrorCode.InvalidCiphertext, "The ciphertext is not a KMS ciphertext blob.");
        }

        _resolver.AuthorizeUse(caller, keyId.ToString(), action);
    }

    /// The key ARN a CiphertextBlob names (no HSM call, no authorisation), or null if it is not a blob of ours.
    public string? KeyArnOf(KmsCaller caller, ReadOnlySpan<byte> ciphertextBlob) =>
        CiphertextBlob.TryParse(ciphertextBlob, out var keyId, out _)
            ? $"arn:aws:kms:{_resolver.Region}:{caller.AccountId}:key/{keyId}"
            : null;
}
