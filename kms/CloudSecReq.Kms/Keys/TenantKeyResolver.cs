using System.Text.RegularExpressions;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Kms.Keys;

/// Key references to key records: a key of the caller's tenant named by UUID, key ARN, alias name or alias ARN, its
/// key policy (and the AWS managed key rule) checked for the action, and the errors that name a key by its ARN.
/// Reads the store's in-memory key and alias rows: once warm, no lock and no SQL. Thread safe.
internal sealed partial class TenantKeyResolver(KmsOptions options, KeyMetadataStore store)
{
    private DateTimeOffset Now => options.TimeProvider.GetUtcNow();

    public string Region => options.Region;

    public string Arn(TenantKeyRecord key) => $"arn:aws:kms:{options.Region}:{key.AccountId}:key/{key.KeyId}";

    public string AliasArn(KmsCaller caller, string aliasName) => $"arn:aws:kms:{options.Region}:{caller.AccountId}:{aliasName}";

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

    /// What GenerateDataKey (or Decrypt) checks before its HSM call, without the call: the key of the caller's tenant,
    /// the key policy allowing <paramref name="action"/> for the caller, a usable state. Reads the in-memory key (and alias) rows only once warm.
    public TenantKeyRecord AuthorizeUse(KmsCaller caller, string keyRef, string action)
    {
        var key = Resolve(caller, keyRef, action);
        RequireUsable(key);
        return key;
    }

    // What AWS allows on an AWS managed key, whoever asks (the account's root included): its key policy grants the
    // account's principals kms:Describe*, kms:Get* and kms:List*, and kms:Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*
    // through the owning service (kms:ViaService), nothing else; AWS answers AccessDeniedException "... because no
    // resource-based policy allows the kms:DisableKey action" (e.g. github.com/elastic/cloudbeat/issues/1749 for
    // aws/acm). https://docs.aws.amazon.com/kms/latest/developerguide/editing-keys.html: "You cannot edit any properties
    // of AWS managed keys"; deleting-keys-scheduling-key-deletion.html: "You cannot schedule the deletion of AWS
    // managed keys". Direct Encrypt/Decrypt by the tenant (not through S3) stay allowed here: we have no kms:ViaService.
    internal static readonly string[] ManagedKeyActions =
        ["kms:Describe*", "kms:Get*", "kms:List*", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"];

    public void Authorize(KmsCaller caller, TenantKeyRecord key, string action)
    {
        if (key.AwsManaged && !ManagedKeyActions.Any(a => KeyPolicy.ActionMatches(a, action))
            || !KeyPolicy.Allows(key.Policy, caller, action))
        {
            throw new KmsException(KmsErrorCode.AccessDenied,
                $"User: {caller.PrincipalArn} is not authorized to perform: {action} on resource: {Arn(key)} because no resource-based policy allows the {action} action");
        }
    }

    public void RequireUsable(TenantKeyRecord key)
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

    public static KmsException NotFound(string keyRef) => new(KmsErrorCode.NotFound, $"Key '{keyRef}' does not exist");

    public KmsException AliasNotFound(KmsCaller caller, string aliasName) =>
        new(KmsErrorCode.NotFound, $"Alias {AliasArn(caller, aliasName)} is not found.");

    public KmsException Disabled(TenantKeyRecord key) => new(KmsErrorCode.Disabled, $"{Arn(key)} is disabled.");

    public KmsException InvalidState(TenantKeyRecord key) =>
        new(KmsErrorCode.KmsInvalidState, $"{Arn(key)} is {key.State switch { KmsKeyState.PendingDeletion => "pending deletion", KmsKeyState.PendingImport => "pending import", _ => key.State.ToString().ToLowerInvariant() }}.");

    [GeneratedRegex(@"^arn:aws:kms:(?<region>[a-z0-9-]+):(?<account>\d{12}):(?<kind>key|alias)/(?<id>.+)$")]
    private static partial Regex ArnPattern();
}
