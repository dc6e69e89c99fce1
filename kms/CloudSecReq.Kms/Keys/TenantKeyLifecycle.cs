using System.Text.RegularExpressions;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;

namespace CloudSecReq.Kms.Keys;

/// Tenant key lifecycle: create, describe, list, the AWS managed keys behind alias/aws/ names, aliases, enable and
/// disable, deletion scheduling, rotation settings and on-demand rotation, key policies and tags. Each operation
/// resolves and authorises through <see cref="TenantKeyResolver"/> and changes state through <see cref="TenantKeyWriter"/>.
/// Thread safe.
internal sealed partial class TenantKeyLifecycle(KmsOptions options, HsmKeyStore hsm, KeyMetadataStore store, TenantKeyResolver resolver, TenantKeyWriter writer)
{
    public const int DefaultRotationPeriodDays = 365;
    private const int MaxTags = 50;
    private readonly Lock _managed = new();

    private DateTimeOffset Now => options.TimeProvider.GetUtcNow();

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

        var label = TenantKeyRecord.VersionLabel(key.KeyId, 1);
        HsmErrors.Guard(() => hsm.GenerateAesKey(label));
        try
        {
            store.InsertKey(key, new KeyVersionRecord(key.KeyId, 1, key.Created, null, TenantKeyWriter.NewMaterialId()), tags);
        }
        catch
        {
            writer.TryDestroy(label);
            throw;
        }

        return key;
    }

    public TenantKeyRecord Describe(KmsCaller caller, string keyRef) => resolver.Resolve(caller, keyRef, "kms:DescribeKey");

    public List<TenantKeyRecord> ListKeys(KmsCaller caller) => store.ListKeys(caller.TenantId);

    /// <summary>
    /// The tenant's key behind a reserved alias (e.g. alias/aws/s3, the key of SSE-S3 and of SSE-KMS without a key id),
    /// created on first use. Tenants cannot create alias/aws/ names themselves; they can see and use the key, but nobody
    /// can administer it (<see cref="TenantKeyResolver.ManagedKeyActions"/>): disabling or deleting it would make or shred every SSE-S3
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
        var key = resolver.Resolve(caller, targetKeyRef, "kms:CreateAlias", allowAlias: false);
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw resolver.InvalidState(key);
        }

        var now = Now;
        if (!store.InsertAlias(new AliasRecord(caller.TenantId, aliasName, key.KeyId, now, now)))
        {
            throw new KmsException(KmsErrorCode.AlreadyExists, $"An alias with the name {resolver.AliasArn(caller, aliasName)} already exists.");
        }
    }

    public void UpdateAlias(KmsCaller caller, string aliasName, string targetKeyRef)
    {
        ValidateAliasName(aliasName);
        var alias = store.GetAlias(caller.TenantId, aliasName) ?? throw resolver.AliasNotFound(caller, aliasName);
        resolver.Authorize(caller, store.GetKey(alias.KeyId)!, "kms:UpdateAlias");
        var key = resolver.Resolve(caller, targetKeyRef, "kms:UpdateAlias", allowAlias: false);
        store.UpdateAlias(caller.TenantId, aliasName, key.KeyId, Now);
    }

    public void DeleteAlias(KmsCaller caller, string aliasName)
    {
        var alias = store.GetAlias(caller.TenantId, aliasName) ?? throw resolver.AliasNotFound(caller, aliasName);
        resolver.Authorize(caller, store.GetKey(alias.KeyId)!, "kms:DeleteAlias");
        store.DeleteAlias(caller.TenantId, aliasName);
    }

    public List<AliasRecord> ListAliases(KmsCaller caller, string? keyRef)
    {
        var aliases = store.ListAliases(caller.TenantId);
        if (keyRef is null)
        {
            return aliases;
        }

        var key = resolver.Resolve(caller, keyRef, "kms:ListAliases", allowAlias: false);
        return [.. aliases.Where(a => a.KeyId == key.KeyId)];
    }

    // ---- state changes ----

    public TenantKeyRecord Enable(KmsCaller caller, string keyRef) => writer.Change(caller, keyRef, "kms:EnableKey", key =>
    {
        if (key.State is not (KmsKeyState.Enabled or KmsKeyState.Disabled))
        {
            throw resolver.InvalidState(key);
        }

        writer.SetUsable(key, true);
        key.State = KmsKeyState.Enabled;
        return true;
    });

    public TenantKeyRecord Disable(KmsCaller caller, string keyRef) => writer.Change(caller, keyRef, "kms:DisableKey", key =>
    {
        if (key.State is not (KmsKeyState.Enabled or KmsKeyState.Disabled))
        {
            throw resolver.InvalidState(key);
        }

        writer.SetUsable(key, false);
        key.State = KmsKeyState.Disabled;
        return true;
    });

    public TenantKeyRecord ScheduleDeletion(KmsCaller caller, string keyRef, int? pendingWindowDays) =>
        writer.Change(caller, keyRef, "kms:ScheduleKeyDeletion", key =>
        {
            var days = pendingWindowDays ?? 30;
            if (days < options.MinimumPendingWindowDays || days > 30)
            {
                throw new KmsException(KmsErrorCode.Validation,
                    $"PendingWindowInDays must be between {options.MinimumPendingWindowDays} and 30.");
            }

            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw resolver.InvalidState(key);
            }

            if (key.State == KmsKeyState.Enabled)
            {
                writer.SetUsable(key, false);
            }

            key.State = KmsKeyState.PendingDeletion;
            key.PendingWindowDays = days;
            key.DeletionDate = Now.AddDays(days);
            return true;
        });

    public TenantKeyRecord CancelDeletion(KmsCaller caller, string keyRef) => writer.Change(caller, keyRef, "kms:CancelKeyDeletion", key =>
    {
        if (key.State != KmsKeyState.PendingDeletion || key.Shredding)
        {
            throw resolver.InvalidState(key);
        }

        key.State = key.Origin == KeyOrigin.External && !key.HasImportedMaterial ? KmsKeyState.PendingImport : KmsKeyState.Disabled;
        key.DeletionDate = null;
        key.PendingWindowDays = null;
        return true;
    });

    // ---- rotation ----

    public TenantKeyRecord EnableRotation(KmsCaller caller, string keyRef, int? periodDays) => writer.Change(caller, keyRef, "kms:EnableKeyRotation", key =>
    {
        var days = periodDays ?? DefaultRotationPeriodDays;
        if (days is < 90 or > 2560)
        {
            throw new KmsException(KmsErrorCode.Validation, "RotationPeriodInDays must be between 90 and 2560.");
        }

        RequireRotatable(key);
        if (key.State is not (KmsKeyState.Enabled or KmsKeyState.Disabled))
        {
            throw key.State == KmsKeyState.Disabled ? resolver.Disabled(key) : resolver.InvalidState(key);
        }

        key.RotationEnabled = true;
        key.RotationPeriodDays = days;
        key.NextRotation = Now.AddDays(days);
        return false;
    });

    public TenantKeyRecord DisableRotation(KmsCaller caller, string keyRef) => writer.Change(caller, keyRef, "kms:DisableKeyRotation", key =>
    {
        RequireRotatable(key);
        if (key.State is not (KmsKeyState.Enabled or KmsKeyState.Disabled))
        {
            throw resolver.InvalidState(key);
        }

        key.RotationEnabled = false;
        key.NextRotation = null;
        return false;
    });

    public TenantKeyRecord GetRotationStatus(KmsCaller caller, string keyRef)
    {
        var key = resolver.Resolve(caller, keyRef, "kms:GetKeyRotationStatus");
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw resolver.InvalidState(key);
        }

        return key;
    }

    public TenantKeyRecord RotateOnDemand(KmsCaller caller, string keyRef)
    {
        using (writer.EnterChange())
        {
            var key = resolver.Resolve(caller, keyRef, "kms:RotateKeyOnDemand");
            RequireRotatable(key);
            if (key.State != KmsKeyState.Enabled)
            {
                throw key.State == KmsKeyState.Disabled ? resolver.Disabled(key) : resolver.InvalidState(key);
            }

            return writer.AddVersion(key, "ON_DEMAND");
        }
    }

    public (TenantKeyRecord Key, List<KeyVersionRecord> Rotations) ListRotations(KmsCaller caller, string keyRef)
    {
        var key = resolver.Resolve(caller, keyRef, "kms:ListKeyRotations");
        RequireRotatable(key);
        return (key, [.. store.ListVersions(key.KeyId).Where(v => v.RotationType is not null)]);
    }

    // ---- policy and tags ----

    public string GetPolicy(KmsCaller caller, string keyRef, string? policyName)
    {
        RequireDefaultPolicyName(policyName);
        return resolver.Resolve(caller, keyRef, "kms:GetKeyPolicy").Policy;
    }

    public void PutPolicy(KmsCaller caller, string keyRef, string? policyName, string policy)
    {
        RequireDefaultPolicyName(policyName);
        KeyPolicy.Validate(policy, caller.AccountId);
        writer.Change(caller, keyRef, "kms:PutKeyPolicy", key =>
        {
            key.Policy = policy;
            return false;
        });
    }

    public void Tag(KmsCaller caller, string keyRef, IReadOnlyDictionary<string, string> tags)
    {
        ValidateTags(tags);
        var key = resolver.Resolve(caller, keyRef, "kms:TagResource", allowAlias: false);
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
        var key = resolver.Resolve(caller, keyRef, "kms:UntagResource", allowAlias: false);
        RequireNotPendingDeletion(key);
        store.RemoveTags(key.KeyId, tagKeys);
    }

    public List<(string Key, string Value)> ListTags(KmsCaller caller, string keyRef) =>
        store.ListTags(resolver.Resolve(caller, keyRef, "kms:ListResourceTags", allowAlias: false).KeyId);

    private static void RequireRotatable(TenantKeyRecord key)
    {
        if (key.Origin != KeyOrigin.AwsKms)
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation, "Keys with imported key material cannot be rotated here.");
        }
    }

    private void RequireNotPendingDeletion(TenantKeyRecord key)
    {
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw resolver.InvalidState(key);
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

    [GeneratedRegex("^alias/[a-zA-Z0-9:/_-]+$")]
    private static partial Regex AliasPattern();
}
