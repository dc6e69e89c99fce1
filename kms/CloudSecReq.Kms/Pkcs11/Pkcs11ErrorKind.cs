namespace CloudSecReq.Kms.Pkcs11;

/// What a CKR_* code means for the caller. The mapping lives in <see cref="Pkcs11ErrorMap"/>.
internal enum Pkcs11ErrorKind
{
    /// Token, session or library gone: reconnect and log in again; retryable, fail closed meanwhile.
    Unavailable,
    /// The object handle is no longer valid: re-find the object by label or id.
    StaleHandle,
    /// Ciphertext, wrapped key or tag rejected (SoftHSM reports bad tags as CKR_GENERAL_ERROR: see the callers).
    CiphertextRejected,
    /// CKR_GENERAL_ERROR / CKR_FUNCTION_FAILED: on decrypt/unwrap usually a bad tag or blob, otherwise internal.
    GeneralError,
    /// The key or token does not permit this (attribute read-only, key not extractable, function not permitted).
    NotPermitted,
    /// Mechanism, parameter or function not supported by this module.
    Unsupported,
    /// Bad template, argument or key size: a programming or configuration error.
    InvalidArgument,
    /// PIN wrong, locked, expired or not initialised: operator action needed.
    Authentication,
    /// Signature does not verify.
    SignatureInvalid,
    /// Output buffer too small (never expected: we pre-size buffers).
    BufferTooSmall,
    /// Benign states (already initialised, already logged in).
    AlreadyDone,
    /// Anything else.
    Internal,
}
