namespace CloudSecReq.Kms.Keys;

/// What GetParametersForImport returns: the wrapping public key (SubjectPublicKeyInfo DER) and the import token.
internal sealed record ImportParameters(TenantKeyRecord Key, byte[] ImportToken, byte[] PublicKey, DateTimeOffset ValidTo);
