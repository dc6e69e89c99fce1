namespace CloudSecReq.Gateway.Admin;

/// <summary>The one table of the admin API's errors: HTTP status and default message per code.</summary>
internal static class AdminErrorTable
{
    public static (int Status, string Message) Of(AdminErrorCode code) => code switch
    {
        AdminErrorCode.InvalidAccessKeyId => (403, "The access key id is not an active admin key."),
        AdminErrorCode.SignatureDoesNotMatch => (403, "The request signature we calculated does not match the signature you provided."),
        AdminErrorCode.IncompleteSignature => (400, "The request is not correctly signed."),
        AdminErrorCode.RequestTimeTooSkewed => (403, "The difference between the request time and the server's time is too large."),
        AdminErrorCode.AccessDenied => (403, "Access denied."),
        AdminErrorCode.MalformedJson => (400, "The request body is not valid JSON for this operation."),
        AdminErrorCode.InvalidArgument => (400, "Invalid argument."),
        AdminErrorCode.NoSuchOperation => (404, "No admin operation has this method and path."),
        AdminErrorCode.NoSuchTenant => (404, "The tenant does not exist."),
        AdminErrorCode.NoSuchUser => (404, "The user does not exist."),
        AdminErrorCode.NoSuchAccessKey => (404, "The access key does not exist."),
        AdminErrorCode.TenantAlreadyExists => (409, "A tenant of that name already exists."),
        AdminErrorCode.UserAlreadyExists => (409, "The tenant already has a user of that name."),
        AdminErrorCode.TenantNotEmpty => (409, "The tenant still owns buckets; delete them (or offboard the tenant) first."),
        AdminErrorCode.CannotDeleteRootUser => (409, "The root user is deleted with its tenant."),
        AdminErrorCode.RequestTooLarge => (413, "The request body is larger than 64 KiB."),
        AdminErrorCode.ServiceUnavailable => (503, "The HSM is unavailable; try again later."),
        AdminErrorCode.InternalError => (500, "An internal error occurred."),
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };
}
