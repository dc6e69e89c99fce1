namespace CloudSecReq.Gateway.Admin;

/// <summary>
/// The admin API's error codes: stable names sent as <c>code</c> in the JSON error body. Status and
/// default message in <see cref="AdminErrorTable"/> (docs/admin-api.md lists them).
/// </summary>
internal enum AdminErrorCode
{
    /// <summary>Not signed with an admin key (unknown key id: a tenant's key is unknown here).</summary>
    InvalidAccessKeyId,
    SignatureDoesNotMatch,
    /// <summary>A malformed or incomplete signature, an unsigned x-amz-* header, or a body the signature does not cover.</summary>
    IncompleteSignature,
    RequestTimeTooSkewed,
    /// <summary>Anonymous, presigned, or otherwise not allowed.</summary>
    AccessDenied,
    /// <summary>A body that is not the JSON the operation takes: bad syntax, a missing or unknown field, a wrong type.</summary>
    MalformedJson,
    /// <summary>A value out of range: a bad name, a bad option.</summary>
    InvalidArgument,
    /// <summary>No such path or method under <c>/admin/v1</c>.</summary>
    NoSuchOperation,
    NoSuchTenant,
    NoSuchUser,
    NoSuchAccessKey,
    TenantAlreadyExists,
    UserAlreadyExists,
    /// <summary>Deleting a tenant that still owns buckets (offboarding is another operation).</summary>
    TenantNotEmpty,
    /// <summary>The root user goes with its tenant.</summary>
    CannotDeleteRootUser,
    RequestTooLarge,
    /// <summary>The HSM (platform key) cannot be reached: fail closed.</summary>
    ServiceUnavailable,
    InternalError,
}
