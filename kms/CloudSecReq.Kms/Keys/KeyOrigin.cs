namespace CloudSecReq.Kms.Keys;

/// Where a tenant key's material comes from (AWS Origin values AWS_KMS and EXTERNAL).
internal enum KeyOrigin
{
    AwsKms,
    External,
}
