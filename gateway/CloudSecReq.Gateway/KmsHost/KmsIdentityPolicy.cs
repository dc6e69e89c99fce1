using System.Collections.Frozen;
using CloudSecReq.Gateway.Tenants;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Gateway.KmsHost;

/// <summary>
/// The identity-policy half of KMS authorisation (AWS checks the caller's IAM policies and the key policy; the key
/// policy half is kms/'s <c>KeyPolicy</c>). Until full IAM policies come (a later issue), a user restricted in S3 —
/// read-only (<c>csr user create --read-only</c>) or limited to some buckets (<c>--bucket</c>) — may call only the
/// KMS read operations (Describe*, List*, Get*; not GetParametersForImport, which makes an HSM wrapping key for an
/// import). Key administration and direct cryptography are refused: such a user reaches data keys only through the
/// gateway's SSE path, where <c>S3Authorizer</c> has already checked the bucket and the write. The tenant root and
/// unrestricted users are not limited here; key policies still apply to them. Issue 11: a read-only user could
/// disable alias/aws/s3 (every SSE-S3 object of the tenant unreadable) or schedule a key's deletion.
/// </summary>
internal static class KmsIdentityPolicy
{
    private static readonly FrozenSet<string> s_readOperations = new[]
    {
        "DescribeKey", "ListKeys", "ListAliases", "ListResourceTags", "ListKeyRotations", "GetKeyPolicy", "GetKeyRotationStatus",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Null when <paramref name="principal"/> may call <paramref name="operation"/> (the X-Amz-Target suffix; names
    /// the KMS API does not know are left to it to refuse), else the AccessDeniedException to answer, naming the user
    /// and the action as AWS does for an identity-policy denial.
    /// </summary>
    public static KmsException? Check(Principal principal, string operation)
    {
        var policy = principal.User.Policy;
        var restricted = !principal.User.IsRoot && (policy.ReadOnly || policy.Buckets is not null);
        if (!restricted || s_readOperations.Contains(operation) || !KmsApi.Operations.Contains(operation))
        {
            return null;
        }
        var action = "kms:" + operation;
        return new KmsException(KmsErrorCode.AccessDenied,
            $"User: {principal.Arn} is not authorized to perform: {action} because no identity-based policy allows the {action} action");
    }
}
