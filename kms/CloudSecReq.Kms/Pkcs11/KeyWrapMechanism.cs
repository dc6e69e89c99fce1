namespace CloudSecReq.Kms.Pkcs11;

/// The wrap/unwrap mechanisms the binding marshals.
internal enum KeyWrapMechanism
{
    /// CKM_AES_KEY_WRAP_PAD (RFC 5649), no parameter.
    AesKeyWrapPad,
    /// CKM_RSA_PKCS_OAEP with SHA-1 and MGF1-SHA-1, empty label.
    RsaOaepSha1,
    /// CKM_RSA_PKCS_OAEP with SHA-256 and MGF1-SHA-256, empty label (not in SoftHSM: CKR_ARGUMENTS_BAD).
    RsaOaepSha256,
}
