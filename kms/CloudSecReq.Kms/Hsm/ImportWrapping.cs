namespace CloudSecReq.Kms.Hsm;

/// How imported key material is wrapped (AWS WrappingAlgorithm values).
internal enum ImportWrapping
{
    RsaesOaepSha1,
    RsaesOaepSha256,
    RsaAesKeyWrapSha1,
    RsaAesKeyWrapSha256,
}
