using System.Security.Cryptography;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;

namespace CloudSecReq.Kms.Keys;

/// The cryptographic hot path: Encrypt, Decrypt, GenerateDataKey, ReEncrypt and GenerateRandom. Each call resolves and
/// authorises the key in memory (<see cref="TenantKeyResolver"/>) and makes one HSM call (two for ReEncrypt) on the
/// calling thread; no lock, and no SQL once the key (or alias) row was read. Thread safe.
internal sealed class TenantKeyCrypto(HsmKeyStore hsm, TenantKeyResolver resolver)
{
    public (TenantKeyRecord Key, byte[] Blob) Encrypt(KmsCaller caller, string keyRef, ReadOnlySpan<byte> plaintext, IReadOnlyDictionary<string, string>? context, string action = "kms:Encrypt")
    {
        var key = resolver.Resolve(caller, keyRef, action);
        resolver.RequireUsable(key);
        var header = CiphertextBlob.Header(Guid.Parse(key.KeyId), key.CurrentVersion);
        var aad = CiphertextBlob.Aad(header, context);
        var pt = plaintext.ToArray();
        try
        {
            var sealedData = HsmErrors.Guard(() => hsm.EncryptGcm(TenantKeyRecord.VersionLabel(key.KeyId, key.CurrentVersion), aad, pt));
            return (key, [.. header, .. sealedData]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pt);
        }
    }

    /// Opens a CiphertextBlob. The key and version come from the blob; <paramref name="expectedKeyRef"/>, when given,
    /// must name the same key (else IncorrectKey). The caller owns and should zero the plaintext.
    public (TenantKeyRecord Key, byte[] Plaintext) Decrypt(KmsCaller caller, ReadOnlySpan<byte> blob, IReadOnlyDictionary<string, string>? context, string? expectedKeyRef, string action = "kms:Decrypt")
    {
        if (!CiphertextBlob.TryParse(blob, out var keyId, out var version))
        {
            throw new KmsException(KmsErrorCode.InvalidCiphertext, "The ciphertext is not a KMS ciphertext blob.");
        }

        if (expectedKeyRef is not null)
        {
            var expected = resolver.Resolve(caller, expectedKeyRef, action);
            if (!string.Equals(expected.KeyId, keyId.ToString(), StringComparison.Ordinal))
            {
                throw new KmsException(KmsErrorCode.IncorrectKey, "The key ID in the request does not identify the key that encrypted the ciphertext.");
            }
        }

        var key = resolver.Resolve(caller, keyId.ToString(), action);
        resolver.RequireUsable(key);
        if (version > key.CurrentVersion)
        {
            throw new KmsException(KmsErrorCode.InvalidCiphertext, "The ciphertext refers to an unknown key version.");
        }

        var aad = CiphertextBlob.Aad(blob[..CiphertextBlob.HeaderBytes], context);
        var body = blob[CiphertextBlob.HeaderBytes..].ToArray();
        return (key, HsmErrors.Guard(() => hsm.DecryptGcm(TenantKeyRecord.VersionLabel(key.KeyId, version), aad, body)));
    }

    public (TenantKeyRecord Key, byte[] Plaintext, byte[] Blob) GenerateDataKey(KmsCaller caller, string keyRef, int numberOfBytes, IReadOnlyDictionary<string, string>? context, string action)
    {
        if (numberOfBytes is < 1 or > 1024)
        {
            throw new KmsException(KmsErrorCode.Validation, "NumberOfBytes must be between 1 and 1024.");
        }

        var plaintext = RandomNumberGenerator.GetBytes(numberOfBytes);
        var (key, blob) = Encrypt(caller, keyRef, plaintext, context, action);
        return (key, plaintext, blob);
    }

    public (TenantKeyRecord Source, TenantKeyRecord Destination, byte[] Blob) ReEncrypt(
        KmsCaller caller, ReadOnlySpan<byte> blob, IReadOnlyDictionary<string, string>? sourceContext, string? sourceKeyRef,
        string destinationKeyRef, IReadOnlyDictionary<string, string>? destinationContext)
    {
        var destinationCheck = resolver.Resolve(caller, destinationKeyRef, "kms:ReEncryptTo");
        resolver.RequireUsable(destinationCheck);
        var (source, plaintext) = Decrypt(caller, blob, sourceContext, sourceKeyRef, "kms:ReEncryptFrom");
        try
        {
            var (destination, newBlob) = Encrypt(caller, destinationKeyRef, plaintext, destinationContext, "kms:ReEncryptTo");
            return (source, destination, newBlob);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public byte[] GenerateRandom(int numberOfBytes)
    {
        if (numberOfBytes is < 1 or > 1024)
        {
            throw new KmsException(KmsErrorCode.Validation, "NumberOfBytes must be between 1 and 1024.");
        }

        return HsmErrors.Guard(() => hsm.GenerateRandom(numberOfBytes));
    }

}
