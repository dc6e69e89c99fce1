namespace CloudSecReq.Kms.Api;

/// KMS errors as AWS names them (IncompleteSignature, InvalidSignature and UnrecognizedClient are SigV4's, for the
/// host that verifies requests); <see cref="KmsErrorTable"/> gives each its __type and HTTP status.
public enum KmsErrorCode
{
    AccessDenied,
    AlreadyExists,
    Disabled,
    ExpiredImportToken,
    IncompleteSignature,
    IncorrectKey,
    IncorrectKeyMaterial,
    InvalidAliasName,
    InvalidArn,
    InvalidCiphertext,
    InvalidImportToken,
    InvalidKeyUsage,
    InvalidMarker,
    InvalidSignature,
    KeyUnavailable,
    KmsInternal,
    KmsInvalidState,
    LimitExceeded,
    MalformedPolicyDocument,
    NotFound,
    Serialization,
    Tag,
    UnrecognizedClient,
    UnsupportedOperation,
    Validation,
}
