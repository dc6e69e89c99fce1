namespace CloudSecReq.Kms.Api;

/// The one table: error code → AWS __type, HTTP status, and whether a client should retry.
/// KeyUnavailableException (HSM unreachable) is retryable; seen from S3 it becomes 503.
internal static class KmsErrorTable
{
    private static readonly Dictionary<KmsErrorCode, (string Type, int Status, bool Retryable)> s_table = new()
    {
        [KmsErrorCode.AccessDenied] = ("AccessDeniedException", 400, false),
        [KmsErrorCode.AlreadyExists] = ("AlreadyExistsException", 400, false),
        [KmsErrorCode.Disabled] = ("DisabledException", 400, false),
        [KmsErrorCode.ExpiredImportToken] = ("ExpiredImportTokenException", 400, false),
        [KmsErrorCode.IncompleteSignature] = ("IncompleteSignatureException", 400, false),
        [KmsErrorCode.IncorrectKey] = ("IncorrectKeyException", 400, false),
        [KmsErrorCode.IncorrectKeyMaterial] = ("IncorrectKeyMaterialException", 400, false),
        [KmsErrorCode.InvalidAliasName] = ("InvalidAliasNameException", 400, false),
        [KmsErrorCode.InvalidArn] = ("InvalidArnException", 400, false),
        [KmsErrorCode.InvalidCiphertext] = ("InvalidCiphertextException", 400, false),
        [KmsErrorCode.InvalidImportToken] = ("InvalidImportTokenException", 400, false),
        [KmsErrorCode.InvalidKeyUsage] = ("InvalidKeyUsageException", 400, false),
        [KmsErrorCode.InvalidMarker] = ("InvalidMarkerException", 400, false),
        [KmsErrorCode.InvalidSignature] = ("InvalidSignatureException", 400, false),
        [KmsErrorCode.KeyUnavailable] = ("KeyUnavailableException", 500, true),
        [KmsErrorCode.KmsInternal] = ("KMSInternalException", 500, true),
        [KmsErrorCode.KmsInvalidState] = ("KMSInvalidStateException", 400, false),
        [KmsErrorCode.LimitExceeded] = ("LimitExceededException", 400, false),
        [KmsErrorCode.MalformedPolicyDocument] = ("MalformedPolicyDocumentException", 400, false),
        [KmsErrorCode.NotFound] = ("NotFoundException", 400, false),
        [KmsErrorCode.Serialization] = ("SerializationException", 400, false),
        [KmsErrorCode.Tag] = ("TagException", 400, false),
        [KmsErrorCode.UnrecognizedClient] = ("UnrecognizedClientException", 400, false),
        [KmsErrorCode.UnsupportedOperation] = ("UnsupportedOperationException", 400, false),
        [KmsErrorCode.Validation] = ("ValidationException", 400, false),
    };

    public static string TypeName(KmsErrorCode code) => s_table[code].Type;

    public static int Status(KmsErrorCode code) => s_table[code].Status;

    public static bool IsRetryable(KmsErrorCode code) => s_table[code].Retryable;
}
