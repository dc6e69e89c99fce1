namespace CloudSecReq.Kms.Api;

/// KMS errors as AWS names them; <see cref="KmsErrorTable"/> gives each its __type and HTTP status.
public enum KmsErrorCode
{
    AccessDenied,
    AlreadyExists,
    Disabled,
    ExpiredImportToken,
    IncorrectKey,
    IncorrectKeyMaterial,
    InvalidAliasName,
    InvalidArn,
    InvalidCiphertext,
    InvalidImportToken,
    InvalidKeyUsage,
    InvalidMarker,
    KeyUnavailable,
    KmsInternal,
    KmsInvalidState,
    LimitExceeded,
    MalformedPolicyDocument,
    NotFound,
    Serialization,
    Tag,
    UnsupportedOperation,
    Validation,
}
