namespace CloudSecReq.Kms;

/// A data key: <see cref="Plaintext"/> (the caller owns it and should zero it after use) and
/// <see cref="CiphertextBlob"/> (store it with the object; <see cref="KmsDataKeys.Decrypt"/> reverses it).
public sealed record KmsDataKey(string KeyArn, byte[] Plaintext, byte[] CiphertextBlob);
