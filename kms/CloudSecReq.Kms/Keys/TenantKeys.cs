using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;
using CloudSecReq.Kms.Pkcs11;
using CloudSecReq.Kms.Platform;

namespace CloudSecReq.Kms.Keys;

/// Tenant key lifecycle and cryptography. Each key version is a non-extractable AES-256 HSM object labelled
/// "cloudsecreq:tk:{uuid}:v{n}"; metadata (state, dates, policy, aliases, tags) is in <see cref="KeyMetadataStore"/>,
/// which is authoritative for state. Ordering keeps failures whole: HSM objects are made before metadata points
/// at them (and destroyed if the metadata write fails); on deletion the key is first marked as shredding, then every
/// version's object is destroyed, then the metadata goes. Thread safe: state changes are serialised by one lock,
/// cryptographic calls run in parallel.
internal sealed partial class TenantKeys(KmsOptions options, HsmKeyStore hsm, KeyMetadataStore store, PlatformSecrets secrets)
{
    public const int DefaultRotationPeriodDays = 365;
    private const int MaxTags = 50;
    private readonly Lock _mutate = new();
    private readonly Lock _managed = new();

    public event EventHandler<KmsKeyStateChangedEventArgs>? KeyStateChanged;

    private DateTimeOffset Now => options.TimeProvider.GetUtcNow();

    public string Region => options.Region;

    public static string VersionLabel(string keyId, int version) => $"cloudsecreq:tk:{keyId}:v{version}";

    public string Arn(TenantKeyRecord key) => $"arn:aws:kms:{options.Region}:{key.AccountId}:key/{key.KeyId}";

    public string AliasArn(KmsCaller caller, string aliasName) => $"arn:aws:kms:{options.Region}:{caller.AccountId}:{aliasName}";

    public List<KeyVersionRecord> Versions(TenantKeyRecord key) => store.ListVersions(key.KeyId);

    // ---- create, describe, list ----

    public TenantKeyRecord CreateKey(KmsCaller caller, string? description, KeyOrigin origin, string? policy, IReadOnlyDictionary<string, string> tags, bool awsManaged = false)
    {
        if (description is { Length: > 8192 })
        {
            throw new KmsException(KmsErrorCode.Validation, "Description is longer than 8192 characters.");
        }

        ValidateTags(tags);
        if (policy is not null)
        {
            KeyPolicy.Validate(policy, caller.AccountId);
        }

        var key = new TenantKeyRecord
        {
            KeyId = Guid.NewGuid().ToString(),
            TenantId = caller.TenantId,
            AccountId = caller.AccountId,
            Description = description ?? string.Empty,
            Origin = origin,
            AwsManaged = awsManaged,
            State = origin == KeyOrigin.External ? KmsKeyState.PendingImport : KmsKeyState.Enabled,
            Created = Now,
            Policy = policy ?? KeyPolicy.Default(caller.AccountId),
            CurrentVersion = 1,
        };
        if (origin == KeyOrigin.External)
        {
            store.InsertKey(key, null, tags);
            return key;
        }

        var label = VersionLabel(key.KeyId, 1);
        Hsm(() => hsm.GenerateAesKey(label));
        try
        {
            store.InsertKey(key, new KeyVersionRecord(key.KeyId, 1, key.Created, null, NewMaterialId()), tags);
        }
        catch
        {
            TryDestroy(label);
            throw;
        }

        return key;
    }

    public TenantKeyRecord Describe(KmsCaller caller, string keyRef) => Resolve(caller, keyRef, "kms:DescribeKey");

    public List<TenantKeyRecord> ListKeys(KmsCaller caller) => store.ListKeys(caller.TenantId);

    /// <summary>
    /// The tenant's key behind a reserved alias (e.g. alias/aws/s3, the key of SSE-S3 and of SSE-KMS without a key id),
    /// created on first use. Tenants cannot create alias/aws/ names themselves; they can see and use the key, but nobody
    /// can administer it (<see cref="ManagedKeyActions"/>): disabling or deleting it would make or shred every SSE-S3
    /// object of the tenant unreadable.
    /// </summary>
    public TenantKeyRecord EnsureManagedKey(KmsCaller caller, string aliasName, string description)
    {
        // Every SSE-S3 PUT comes here: once the alias exists, its row and the key's come from the store's caches
        // without a lock or SQL. Only the first use in a tenant takes the lock and creates the key.
        if (ManagedKey(caller.TenantId, aliasName) is { } warm)
        {
            return warm;
        }

        lock (_managed)
        {
            if (ManagedKey(caller.TenantId, aliasName) is { } existing)
            {
                return existing;
            }

            var key = CreateKey(caller with { IsTenantRoot = true }, description, KeyOrigin.AwsKms, null, new Dictionary<string, string>(), awsManaged: true);
            var now = Now;
            store.DeleteAlias(caller.TenantId, aliasName);
            store.InsertAlias(new AliasRecord(caller.TenantId, aliasName, key.KeyId, now, now));
            return key;
        }
    }

    private TenantKeyRecord? ManagedKey(string tenantId, string aliasName) =>
        store.GetAlias(tenantId, aliasName) is { } alias ? store.GetKey(alias.KeyId) : null;

    // ---- aliases ----

    public void CreateAlias(KmsCaller caller, string aliasName, string targetKeyRef)
    {
        ValidateAliasName(aliasName);
        var key = Resolve(caller, targetKeyRef, "kms:CreateAlias", allowAlias: false);
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw InvalidState(key);
        }

        var now = Now;
        if (!store.InsertAlias(new AliasRecord(caller.TenantId, aliasName, key.KeyId, now, now)))
        {
            throw new KmsException(KmsErrorCode.AlreadyExists, $"An alias with the name {AliasArn(caller, aliasName)} already exists.");
        }
    }

    public void UpdateAlias(KmsCaller caller, string aliasName, string targetKeyRef)
    {
        ValidateAliasName(aliasName);
        var alias = store.GetAlias(caller.TenantId, aliasName) ?? throw AliasNotFound(caller, aliasName);
        Authorize(caller, Get(alias.KeyId)!, "kms:UpdateAlias");
        var key = Resolve(caller, targetKeyRef, "kms:UpdateAlias", allowAlias: false);
        store.UpdateAlias(caller.TenantId, aliasName, key.KeyId, Now);
    }

    public void DeleteAlias(KmsCaller caller, string aliasName)
    {
        var alias = store.GetAlias(caller.TenantId, aliasName) ?? throw AliasNotFound(caller, aliasName);
        Authorize(caller, Get(alias.KeyId)!, "kms:DeleteAlias");
        store.DeleteAlias(caller.TenantId, aliasName);
    }

    public List<AliasRecord> ListAliases(KmsCaller caller, string? keyRef)
    {
        var aliases = store.ListAliases(caller.TenantId);
        if (keyRef is null)
        {
            return aliases;
        }

        var key = Resolve(caller, keyRef, "kms:ListAliases", allowAlias: false);
        return [.. aliases.Where(a => a.KeyId == key.KeyId)];
    }

    // ---- state changes ----

    public TenantKeyRecord Enable(KmsCaller caller, string keyRef) => Mutate(caller, keyRef, "kms:EnableKey", key =>
    {
        if (key.State is not (KmsKeyState.Enabled or KmsKeyState.Disabled))
        {
            throw InvalidState(key);
        }

        SetUsable(key, true);
        key.State = KmsKeyState.Enabled;
        return true;
    });

    public TenantKeyRecord Disable(KmsCaller caller, string keyRef) => Mutate(caller, keyRef, "kms:DisableKey", key =>
    {
        if (key.State is not (KmsKeyState.Enabled or KmsKeyState.Disabled))
        {
            throw InvalidState(key);
        }

        SetUsable(key, false);
        key.State = KmsKeyState.Disabled;
        return true;
    });

    public TenantKeyRecord ScheduleDeletion(KmsCaller caller, string keyRef, int? pendingWindowDays) =>
        Mutate(caller, keyRef, "kms:ScheduleKeyDeletion", key =>
        {
            var days = pendingWindowDays ?? 30;
            if (days < options.MinimumPendingWindowDays || days > 30)
            {
                throw new KmsException(KmsErrorCode.Validation,
                    $"PendingWindowInDays must be between {options.MinimumPendingWindowDays} and 30.");
            }

            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw InvalidState(key);
            }

            if (key.State == KmsKeyState.Enabled)
            {
                SetUsable(key, false);
            }

            key.State = KmsKeyState.PendingDeletion;
            key.PendingWindowDays = days;
            key.DeletionDate = Now.AddDays(days);
            return true;
        });

    public TenantKeyRecord CancelDeletion(KmsCaller caller, string keyRef) => Mutate(caller, keyRef, "kms:CancelKeyDeletion", key =>
    {
        if (key.State != KmsKeyState.PendingDeletion || key.Shredding)
        {
            throw InvalidState(key);
        }

        key.State = key.Origin == KeyOrigin.External && !key.HasImportedMaterial ? KmsKeyState.PendingImport : KmsKeyState.Disabled;
        key.DeletionDate = null;
        key.PendingWindowDays = null;
        return true;
    });

    // ---- rotation ----

    public TenantKeyRecord EnableRotation(KmsCaller caller, string keyRef, int? periodDays) => Mutate(caller, keyRef, "kms:EnableKeyRotation", key =>
    {
        var days = periodDays ?? DefaultRotationPeriodDays;
        if (days is < 90 or > 2560)
        {
            throw new KmsException(KmsErrorCode.Validation, "RotationPeriodInDays must be between 90 and 2560.");
        }

        RequireRotatable(key);
        if (key.State is not (KmsKeyState.Enabled or KmsKeyState.Disabled))
        {
            throw key.State == KmsKeyState.Disabled ? Disabled(key) : InvalidState(key);
        }

        key.RotationEnabled = true;
        key.RotationPeriodDays = days;
        key.NextRotation = Now.AddDays(days);
        return false;
    });

    public TenantKeyRecord DisableRotation(KmsCaller caller, string keyRef) => Mutate(caller, keyRef, "kms:DisableKeyRotation", key =>
    {
        RequireRotatable(key);
        if (key.State is not (KmsKeyState.Enabled or KmsKeyState.Disabled))
        {
            throw InvalidState(key);
        }

        key.RotationEnabled = false;
        key.NextRotation = null;
        return false;
    });

    public TenantKeyRecord GetRotationStatus(KmsCaller caller, string keyRef)
    {
        var key = Resolve(caller, keyRef, "kms:GetKeyRotationStatus");
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw InvalidState(key);
        }

        return key;
    }

    public TenantKeyRecord RotateOnDemand(KmsCaller caller, string keyRef)
    {
        lock (_mutate)
        {
            var key = Resolve(caller, keyRef, "kms:RotateKeyOnDemand");
            RequireRotatable(key);
            if (key.State != KmsKeyState.Enabled)
            {
                throw key.State == KmsKeyState.Disabled ? Disabled(key) : InvalidState(key);
            }

            return AddVersion(key, "ON_DEMAND");
        }
    }

    public (TenantKeyRecord Key, List<KeyVersionRecord> Rotations) ListRotations(KmsCaller caller, string keyRef)
    {
        var key = Resolve(caller, keyRef, "kms:ListKeyRotations");
        RequireRotatable(key);
        return (key, [.. store.ListVersions(key.KeyId).Where(v => v.RotationType is not null)]);
    }

    // ---- policy and tags ----

    public string GetPolicy(KmsCaller caller, string keyRef, string? policyName)
    {
        RequireDefaultPolicyName(policyName);
        return Resolve(caller, keyRef, "kms:GetKeyPolicy").Policy;
    }

    public void PutPolicy(KmsCaller caller, string keyRef, string? policyName, string policy)
    {
        RequireDefaultPolicyName(policyName);
        KeyPolicy.Validate(policy, caller.AccountId);
        Mutate(caller, keyRef, "kms:PutKeyPolicy", key =>
        {
            key.Policy = policy;
            return false;
        });
    }

    public void Tag(KmsCaller caller, string keyRef, IReadOnlyDictionary<string, string> tags)
    {
        ValidateTags(tags);
        var key = Resolve(caller, keyRef, "kms:TagResource", allowAlias: false);
        RequireNotPendingDeletion(key);
        var existing = store.ListTags(key.KeyId).Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        if (existing.Union(tags.Keys).Count() > MaxTags)
        {
            throw new KmsException(KmsErrorCode.Tag, $"A key has at most {MaxTags} tags.");
        }

        store.SetTags(key.KeyId, tags);
    }

    public void Untag(KmsCaller caller, string keyRef, IReadOnlyList<string> tagKeys)
    {
        var key = Resolve(caller, keyRef, "kms:UntagResource", allowAlias: false);
        RequireNotPendingDeletion(key);
        store.RemoveTags(key.KeyId, tagKeys);
    }

    public List<(string Key, string Value)> ListTags(KmsCaller caller, string keyRef) =>
        store.ListTags(Resolve(caller, keyRef, "kms:ListResourceTags", allowAlias: false).KeyId);

    // ---- cryptography ----

    public (TenantKeyRecord Key, byte[] Blob) Encrypt(KmsCaller caller, string keyRef, ReadOnlySpan<byte> plaintext, IReadOnlyDictionary<string, string>? context, string action = "kms:Encrypt")
    {
        var key = Resolve(caller, keyRef, action);
        RequireUsable(key);
        var header = CiphertextBlob.Header(Guid.Parse(key.KeyId), key.CurrentVersion);
        var aad = CiphertextBlob.Aad(header, context);
        var pt = plaintext.ToArray();
        try
        {
            var sealedData = Hsm(() => hsm.EncryptGcm(VersionLabel(key.KeyId, key.CurrentVersion), aad, pt));
            return (key, [.. header, .. sealedData]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pt);
        }
    }

    /// What GenerateDataKey (or Decrypt) checks before its HSM call, without the call: the key of the caller's tenant,
    /// the key policy allowing <paramref name="action"/> for the caller, a usable state. Reads the in-memory key row only.
    public TenantKeyRecord AuthorizeUse(KmsCaller caller, string keyRef, string action)
    {
        var key = Resolve(caller, keyRef, action);
        RequireUsable(key);
        return key;
    }

    /// Opens a CiphertextBlob. The key and version come from the blob; <paramref name="expectedKeyRef"/>, when given,
    /// must name the same key (else IncorrectKey). The caller owns and should zero the plaintext.
    public (TenantKeyRecord Key, byte[] Plaintext) Decrypt(KmsCaller caller, ReadOnlySpan<byte> blob, IReadOnlyDictionary<string, string>? context, string? expectedKeyRef, string action = "kms:Decrypt")
    {
        if (!CiphertextBlob.TryParse(blob, out var keyId, out var version))
        {
            throw new KmsException(KmsErrorCode.InvalidCiphertext, "The ciphertext is not a KMS ciphertext blob.");
        }

        if (expectedKeyRef is not null)
        {
            var expected = Resolve(caller, expectedKeyRef, action);
            if (!string.Equals(expected.KeyId, keyId.ToString(), StringComparison.Ordinal))
            {
                throw new KmsException(KmsErrorCode.IncorrectKey, "The key ID in the request does not identify the key that encrypted the ciphertext.");
            }
        }

        var key = Resolve(caller, keyId.ToString(), action);
        RequireUsable(key);
        if (version > key.CurrentVersion)
        {
            throw new KmsException(KmsErrorCode.InvalidCiphertext, "The ciphertext refers to an unknown key version.");
        }

        var aad = CiphertextBlob.Aad(blob[..CiphertextBlob.HeaderBytes], context);
        var body = blob[CiphertextBlob.HeaderBytes..].ToArray();
        return (key, Hsm(() => hsm.DecryptGcm(VersionLabel(key.KeyId, version), aad, body)));
    }

    public (TenantKeyRecord Key, byte[] Plaintext, byte[] Blob) GenerateDataKey(KmsCaller caller, string keyRef, int numberOfBytes, IReadOnlyDictionary<string, string>? context, string action)
    {
        if (numberOfBytes is < 1 or > 1024)
        {
            throw new KmsException(KmsErrorCode.Validation, "NumberOfBytes must be between 1 and 1024.");
        }

        var plaintext = RandomNumberGenerator.GetBytes(numberOfBytes);
        var (key, blob) = Encrypt(caller, keyRef, plaintext, context, action);
        return (key, plaintext, blob);
    }

    public (TenantKeyRecord Source, TenantKeyRecord Destination, byte[] Blob) ReEncrypt(
        KmsCaller caller, ReadOnlySpan<byte> blob, IReadOnlyDictionary<string, string>? sourceContext, string? sourceKeyRef,
        string destinationKeyRef, IReadOnlyDictionary<string, string>? destinationContext)
    {
        var destinationCheck = Resolve(caller, destinationKeyRef, "kms:ReEncryptTo");
        RequireUsable(destinationCheck);
        var (source, plaintext) = Decrypt(caller, blob, sourceContext, sourceKeyRef, "kms:ReEncryptFrom");
        try
        {
            var (destination, newBlob) = Encrypt(caller, destinationKeyRef, plaintext, destinationContext, "kms:ReEncryptTo");
            return (source, destination, newBlob);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public byte[] GenerateRandom(int numberOfBytes)
    {
        if (numberOfBytes is < 1 or > 1024)
        {
            throw new KmsException(KmsErrorCode.Validation, "NumberOfBytes must be between 1 and 1024.");
        }

        return Hsm(() => hsm.GenerateRandom(numberOfBytes));
    }

    // ---- BYOK ----

    public ImportParameters GetParametersForImport(KmsCaller caller, string keyRef, ImportWrapping wrapping, int modulusBits)
    {
        if (wrapping is ImportWrapping.RsaesOaepSha256 or ImportWrapping.RsaAesKeyWrapSha256 && !options.ModuleSupportsOaepSha256)
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation,
                "This HSM unwraps only with SHA-1 OAEP: use RSAES_OAEP_SHA_1 or RSA_AES_KEY_WRAP_SHA_1.");
        }

        if (modulusBits is not (2048 or 3072 or 4096))
        {
            throw new KmsException(KmsErrorCode.Validation, "WrappingKeySpec must be RSA_2048, RSA_3072 or RSA_4096.");
        }

        var key = Resolve(caller, keyRef, "kms:GetParametersForImport");
        RequireExternal(key);
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw InvalidState(key);
        }

        var validTo = Now.AddHours(24);
        var label = $"cloudsecreq:wrap:{key.KeyId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        store.AddWrappingKey(label, key.KeyId, validTo);
        var publicKey = Hsm(() => hsm.GenerateRsaWrappingKey(label, modulusBits));
        var token = ImportToken.Create(secrets, Guid.Parse(key.KeyId), validTo, wrapping, modulusBits / 8, label);
        return new ImportParameters(key, token, publicKey, validTo);
    }

    public TenantKeyRecord ImportKeyMaterial(KmsCaller caller, string keyRef, byte[] importToken, byte[] encryptedMaterial, DateTimeOffset? validTo)
    {
        lock (_mutate)
        {
            var key = Resolve(caller, keyRef, "kms:ImportKeyMaterial");
            RequireExternal(key);
            var token = ImportToken.Open(secrets, importToken);
            if (token.KeyId.ToString() != key.KeyId)
            {
                throw new KmsException(KmsErrorCode.InvalidImportToken, "The import token was issued for another key.");
            }

            if (token.Expires <= Now || !store.HasWrappingKey(token.WrappingLabel))
            {
                throw new KmsException(KmsErrorCode.ExpiredImportToken, "The import token has expired.");
            }

            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw InvalidState(key);
            }

            if (validTo is { } v && v <= Now)
            {
                throw new KmsException(KmsErrorCode.Validation, "ValidTo must be in the future.");
            }

            if (key.HasImportedMaterial)
            {
                throw new KmsException(KmsErrorCode.KmsInvalidState, "The key already has key material; delete it before importing again.");
            }

            var label = VersionLabel(key.KeyId, 1);
            Hsm(() => hsm.Destroy(label)); // leftovers of an interrupted import
            Hsm(() => hsm.UnwrapImportedAesKey(token.WrappingLabel, token.Wrapping, encryptedMaterial, token.RsaBytes, label));
            try
            {
                // SoftHSM reports 0 for unwrapped keys (unknown); modules that know the length must say 32.
                if (Hsm(() => hsm.SecretKeyLength(label)) is not (null or 0 or 32))
                {
                    throw new KmsException(KmsErrorCode.IncorrectKeyMaterial, "Key material for a symmetric key must be 256 bits.");
                }

                var kcv = Hsm(() => hsm.KeyCheckValue(label));
                if (key.ImportKcv is not null && !CryptographicOperations.FixedTimeEquals(kcv, key.ImportKcv))
                {
                    throw new KmsException(KmsErrorCode.IncorrectKeyMaterial, "The key material is not the material previously imported into this key.");
                }

                var first = key.ImportKcv is null;
                var updated = key.Clone();
                updated.ImportKcv = kcv;
                updated.HasImportedMaterial = true;
                updated.ValidTo = validTo;
                updated.State = KmsKeyState.Enabled;
                store.UpdateKey(updated, first ? new KeyVersionRecord(key.KeyId, 1, Now, null, Convert.ToHexStringLower(SHA256.HashData(kcv))) : null);
                Raise(updated);
                return updated;
            }
            catch
            {
                TryDestroy(label);
                throw;
            }
        }
    }

    public TenantKeyRecord DeleteImportedKeyMaterial(KmsCaller caller, string keyRef)
    {
        lock (_mutate)
        {
            var key = Resolve(caller, keyRef, "kms:DeleteImportedKeyMaterial");
            RequireExternal(key);
            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw InvalidState(key);
            }

            return ShredImportedMaterial(key);
        }
    }

    // ---- background work ----

    public int RunDueWork(CancellationToken cancellationToken)
    {
        var changed = 0;
        var now = Now;
        foreach (var key in store.ListKeys(null))
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (_mutate)
            {
                var current = store.GetKey(key.KeyId);
                if (current is null)
                {
                    continue;
                }

                if (current.State == KmsKeyState.PendingDeletion && current.DeletionDate <= now)
                {
                    CompleteDeletion(current);
                    changed++;
                }
                else if (current.Origin == KeyOrigin.External && current.HasImportedMaterial && current.ValidTo <= now)
                {
                    ShredImportedMaterial(current);
                    changed++;
                }
                else if (current.RotationEnabled && current.State == KmsKeyState.Enabled && current.NextRotation <= now)
                {
                    AddVersion(current, "AUTOMATIC");
                    changed++;
                }
            }
        }

        foreach (var label in store.ListWrappingKeys(now, null))
        {
            Hsm(() => hsm.Destroy(label));
            store.RemoveWrappingKey(label);
        }

        return changed;
    }

    // ---- internals ----

    private TenantKeyRecord AddVersion(TenantKeyRecord key, string rotationType)
    {
        var version = key.CurrentVersion + 1;
        var label = VersionLabel(key.KeyId, version);
        Hsm(() => hsm.GenerateAesKey(label));
        try
        {
            var updated = key.Clone();
            updated.CurrentVersion = version;
            if (updated.RotationEnabled && updated.RotationPeriodDays is { } days)
            {
                updated.NextRotation = Now.AddDays(days);
            }

            store.UpdateKey(updated, new KeyVersionRecord(key.KeyId, version, Now, rotationType, NewMaterialId()));
            return updated;
        }
        catch
        {
            TryDestroy(label);
            throw;
        }
    }

    // HSM first, metadata second: if the HSM fails half-way the state is unchanged and the call can be repeated.
    private void SetUsable(TenantKeyRecord key, bool usable)
    {
        var versions = key.Origin == KeyOrigin.External ? (key.HasImportedMaterial ? 1 : 0) : key.CurrentVersion;
        for (var v = 1; v <= versions; v++)
        {
            var label = VersionLabel(key.KeyId, v);
            Hsm(() => hsm.SetUsable(label, usable));
        }
    }

    private void CompleteDeletion(TenantKeyRecord key)
    {
        // Point of no return: once marked, cancellation is refused and a failed run is retried by the next sweep.
        if (!key.Shredding)
        {
            key.Shredding = true;
            store.UpdateKey(key);
        }

        for (var v = 1; v <= key.CurrentVersion; v++)
        {
            var label = VersionLabel(key.KeyId, v);
            Hsm(() => hsm.Destroy(label));
        }

        foreach (var label in store.ListWrappingKeys(null, key.KeyId))
        {
            Hsm(() => hsm.Destroy(label));
        }

        store.DeleteKey(key.KeyId);
        KeyStateChanged?.Invoke(this, new KmsKeyStateChangedEventArgs(key.TenantId, key.KeyId, Arn(key), KmsKeyState.Destroyed));
    }

    private TenantKeyRecord ShredImportedMaterial(TenantKeyRecord key)
    {
        Hsm(() => hsm.Destroy(VersionLabel(key.KeyId, 1)));
        var updated = key.Clone();
        updated.HasImportedMaterial = false;
        updated.ValidTo = null;
        updated.State = KmsKeyState.PendingImport;
        store.UpdateKey(updated);
        Raise(updated);
        return updated;
    }

    private TenantKeyRecord Mutate(KmsCaller caller, string keyRef, string action, Func<TenantKeyRecord, bool> change)
    {
        lock (_mutate)
        {
            var key = Resolve(caller, keyRef, action).Clone();
            var before = key.State;
            var stateEvent = change(key);
            store.UpdateKey(key);
            if (stateEvent && key.State != before)
            {
                Raise(key);
            }

            return key;
        }
    }

    private void Raise(TenantKeyRecord key) =>
        KeyStateChanged?.Invoke(this, new KmsKeyStateChangedEventArgs(key.TenantId, key.KeyId, Arn(key), key.State));

    /// Finds a key of the caller's tenant by UUID, key ARN, alias name or alias ARN and checks the key policy.
    /// Keys of other tenants, and malformed references, are NotFound.
    public TenantKeyRecord Resolve(KmsCaller caller, string keyRef, string action, bool allowAlias = true)
    {
        if (string.IsNullOrEmpty(keyRef) || keyRef.Length > 2048)
        {
            throw new KmsException(KmsErrorCode.Validation, "KeyId is required and at most 2048 characters.");
        }

        var reference = keyRef;
        if (reference.StartsWith("arn:", StringComparison.Ordinal))
        {
            var m = ArnPattern().Match(reference);
            if (!m.Success)
            {
                throw new KmsException(KmsErrorCode.NotFound, $"Invalid keyId {keyRef}");
            }

            if (m.Groups["account"].Value != caller.AccountId || m.Groups["region"].Value != options.Region)
            {
                throw NotFound(keyRef);
            }

            reference = m.Groups["kind"].Value == "alias" ? "alias/" + m.Groups["id"].Value : m.Groups["id"].Value;
        }

        if (reference.StartsWith("alias/", StringComparison.Ordinal))
        {
            if (!allowAlias)
            {
                throw new KmsException(KmsErrorCode.NotFound, $"Invalid keyId {keyRef}");
            }

            var alias = store.GetAlias(caller.TenantId, reference) ?? throw AliasNotFound(caller, reference);
            reference = alias.KeyId;
        }

        if (!Guid.TryParseExact(reference, "D", out var id))
        {
            throw new KmsException(KmsErrorCode.NotFound, $"Invalid keyId {keyRef}");
        }

        var key = store.GetKey(id.ToString());
        if (key is null || key.TenantId != caller.TenantId)
        {
            throw NotFound(keyRef);
        }

        Authorize(caller, key, action);
        return key;
    }

    private TenantKeyRecord? Get(string keyId) => store.GetKey(keyId);

    // What AWS allows on an AWS managed key, whoever asks (the account's root included): its key policy grants the
    // account's principals kms:Describe*, kms:Get* and kms:List*, and kms:Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*
    // through the owning service (kms:ViaService), nothing else; AWS answers AccessDeniedException "... because no
    // resource-based policy allows the kms:DisableKey action" (e.g. github.com/elastic/cloudbeat/issues/1749 for
    // aws/acm). https://docs.aws.amazon.com/kms/latest/developerguide/editing-keys.html: "You cannot edit any properties
    // of AWS managed keys"; deleting-keys-scheduling-key-deletion.html: "You cannot schedule the deletion of AWS
    // managed keys". Direct Encrypt/Decrypt by the tenant (not through S3) stay allowed here: we have no kms:ViaService.
    private static readonly string[] ManagedKeyActions =
        ["kms:Describe*", "kms:Get*", "kms:List*", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"];

    private void Authorize(KmsCaller caller, TenantKeyRecord key, string action)
    {
        if (key.AwsManaged && !ManagedKeyActions.Any(a => KeyPolicy.ActionMatches(a, action))
            || !KeyPolicy.Allows(key.Policy, caller, action))
        {
            throw new KmsException(KmsErrorCode.AccessDenied,
                $"User: {caller.PrincipalArn} is not authorized to perform: {action} on resource: {Arn(key)} because no resource-based policy allows the {action} action");
        }
    }

    private void RequireUsable(TenantKeyRecord key)
    {
        if (key.State == KmsKeyState.Disabled)
        {
            throw Disabled(key);
        }

        if (key.State != KmsKeyState.Enabled)
        {
            throw InvalidState(key);
        }

        if (key.Origin == KeyOrigin.External && key.ValidTo is { } validTo && validTo <= Now)
        {
            throw new KmsException(KmsErrorCode.KmsInvalidState, $"{Arn(key)} is pending import.");
        }
    }

    private static void RequireRotatable(TenantKeyRecord key)
    {
        if (key.Origin != KeyOrigin.AwsKms)
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation, "Keys with imported key material cannot be rotated here.");
        }
    }

    private void RequireExternal(TenantKeyRecord key)
    {
        if (key.Origin != KeyOrigin.External)
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation, $"{Arn(key)} origin is AWS_KMS which is not valid for this operation.");
        }
    }

    private void RequireNotPendingDeletion(TenantKeyRecord key)
    {
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw InvalidState(key);
        }
    }

    private static void RequireDefaultPolicyName(string? policyName)
    {
        if (policyName is not (null or "default"))
        {
            throw new KmsException(KmsErrorCode.NotFound, "The only policy name is \"default\".");
        }
    }

    private static void ValidateAliasName(string aliasName)
    {
        if (!AliasPattern().IsMatch(aliasName) || aliasName.Length > 256)
        {
            throw new KmsException(KmsErrorCode.Validation, "AliasName must start with alias/ and contain only [a-zA-Z0-9:/_-].");
        }

        if (aliasName.StartsWith("alias/aws/", StringComparison.Ordinal))
        {
            throw new KmsException(KmsErrorCode.InvalidAliasName, "Aliases that begin with alias/aws/ are reserved.");
        }
    }

    private static void ValidateTags(IReadOnlyDictionary<string, string> tags)
    {
        if (tags.Count > MaxTags)
        {
            throw new KmsException(KmsErrorCode.Tag, $"A key has at most {MaxTags} tags.");
        }

        foreach (var (k, v) in tags)
        {
            if (k.Length is < 1 or > 128 || v.Length > 256 || k.StartsWith("aws:", StringComparison.Ordinal))
            {
                throw new KmsException(KmsErrorCode.Tag, "Tag keys are 1-128 characters (not aws:*), values at most 256.");
            }
        }
    }

    private KmsException NotFound(string keyRef) => new(KmsErrorCode.NotFound, $"Key '{keyRef}' does not exist");

    private KmsException AliasNotFound(KmsCaller caller, string aliasName) =>
        new(KmsErrorCode.NotFound, $"Alias {AliasArn(caller, aliasName)} is not found.");

    private KmsException Disabled(TenantKeyRecord key) => new(KmsErrorCode.Disabled, $"{Arn(key)} is disabled.");

    private KmsException InvalidState(TenantKeyRecord key) =>
        new(KmsErrorCode.KmsInvalidState, $"{Arn(key)} is {key.State switch { KmsKeyState.PendingDeletion => "pending deletion", KmsKeyState.PendingImport => "pending import", _ => key.State.ToString().ToLowerInvariant() }}.");

    private static string NewMaterialId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private void TryDestroy(string label)
    {
        try
        {
            hsm.Destroy(label);
        }
        catch (Exception)
        {
            // Best effort: an orphan object is unreachable (no metadata names it) and a later retry removes it.
        }
    }

    private static T Hsm<T>(Func<T> operation) => HsmErrors.Guard(operation);

    private static void Hsm(Action operation) => HsmErrors.Guard(() => { operation(); return true; });

    [GeneratedRegex(@"^arn:aws:kms:(?<region>[a-z0-9-]+):(?<account>\d{12}):(?<kind>key|alias)/(?<id>.+)$")]
    private static partial Regex ArnPattern();

    [GeneratedRegex("^alias/[a-zA-Z0-9:/_-]+$")]
    private static partial Regex AliasPattern();
}
