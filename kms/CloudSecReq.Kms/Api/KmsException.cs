namespace CloudSecReq.Kms.Api;

/// A KMS request failed with an AWS KMS error. Messages never contain key material, plaintext, PINs or wrapped keys.
public sealed class KmsException : Exception
{
    public KmsException(KmsErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public KmsException(KmsErrorCode code, string message, Exception inner)
        : base(message, inner)
    {
        Code = code;
    }

    public KmsErrorCode Code { get; }

    /// The AWS __type, e.g. "NotFoundException" (S3 reports it as "KMS.NotFoundException").
    public string AwsType => KmsErrorTable.TypeName(Code);

    /// The HTTP status the KMS API answers with.
    public int StatusCode => KmsErrorTable.Status(Code);

    /// True when the same request may succeed later (HSM unreachable): S3 maps these to 503.
    public bool IsRetryable => KmsErrorTable.IsRetryable(Code);
}
