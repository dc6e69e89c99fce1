using CloudSecReq.Kms.Hsm;
using CloudSecReq.Kms.Pkcs11;

namespace CloudSecReq.Kms.Api;

/// Turns HSM-layer failures into KMS errors: lost token → KeyUnavailable (retryable, fail closed),
/// rejected ciphertext → InvalidCiphertext, anything else → KMSInternal. Details stay in the inner exception.
internal static class HsmErrors
{
    public static KmsException ToKms(Exception e) => e switch
    {
        KmsException k => k,
        Pkcs11Exception { Kind: Pkcs11ErrorKind.Unavailable } =>
            new KmsException(KmsErrorCode.KeyUnavailable, "The HSM is unavailable. Retry later.", e),
        Pkcs11Exception { Kind: Pkcs11ErrorKind.CiphertextRejected } =>
            new KmsException(KmsErrorCode.InvalidCiphertext, "The ciphertext is invalid or does not match the key and encryption context.", e),
        Pkcs11Exception { Kind: Pkcs11ErrorKind.Unsupported } =>
            new KmsException(KmsErrorCode.UnsupportedOperation, "The HSM does not support this operation.", e),
        HsmKeyMissingException =>
            new KmsException(KmsErrorCode.KeyUnavailable, "The key material is not available in the HSM.", e),
        _ => new KmsException(KmsErrorCode.KmsInternal, "Internal KMS error.", e),
    };

    /// Runs <paramref name="operation"/>, converting HSM failures with <see cref="ToKms"/>.
    public static T Guard<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception e) when (e is Pkcs11Exception or HsmKeyMissingException)
        {
            throw ToKms(e);
        }
    }

    /// The same for an operation without a result.
    public static void Guard(Action operation) => Guard(() =>
    {
        operation();
        return true;
    });
}
