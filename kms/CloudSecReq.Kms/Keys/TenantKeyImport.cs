using System.Security.Cryptography;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;
using CloudSecReq.Kms.Platform;

namespace CloudSecReq.Kms.Keys;

/// Bring your own key (keys of origin EXTERNAL): import parameters (an RSA wrapping key in the HSM and a sealed import
/// token), ImportKeyMaterial (unwrapped into the HSM, checked against the first import's key check value) and
/// DeleteImportedKeyMaterial. Thread safe; state changes go through <see cref="TenantKeyWriter"/>.
internal sealed class TenantKeyImport(KmsOptions options, HsmKeyStore hsm, KeyMetadataStore store, PlatformSecrets secrets, TenantKeyResolver resolver, TenantKeyWriter writer)
{
    private DateTimeOffset Now => options.TimeProvider.GetUtcNow();

    public ImportParameters GetParametersForImport(KmsCaller caller, string keyRef, ImportWrapping wrapping, int modulusBits)
    {
        if (wrapping is ImportWrapping.RsaesOaepSha256 or ImportWrapping.RsaAesKeyWrapSha256 && !options.ModuleSupportsOaepSha256)
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation,
                "This HSM unwraps only with SHA-1 OAEP: use RSAES_OAEP_SHA_1 or RSA_AES_KEY_WRAP_SHA_1.");
        }

        if (modulusBits is not (2048 or 3072 or 4096))
        {
            throw new KmsException(KmsErrorCode.Validation, "WrappingKeySpec must be RSA_2048, RSA_3072 or RSA_4096.");
        }

        var key = resolver.Resolve(caller, keyRef, "kms:GetParametersForImport");
        RequireExternal(key);
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw resolver.InvalidState(key);
        }

        var validTo = Now.AddHours(24);
        var label = $"cloudsecreq:wrap:{key.KeyId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        store.AddWrappingKey(label, key.KeyId, validTo);
        var publicKey = HsmErrors.Guard(() => hsm.GenerateRsaWrappingKey(label, modulusBits));
        var token = ImportToken.Create(secrets, Guid.Parse(key.KeyId), validTo, wrapping, modulusBits / 8, label);
        return new ImportParameters(key, token, publicKey, validTo);
    }

    public TenantKeyRecord ImportKeyMaterial(KmsCaller caller, string keyRef, byte[] importToken, byte[] encryptedMaterial, DateTimeOffset? validTo)
    {
        using (writer.EnterChange())
        {
            var key = resolver.Resolve(caller, keyRef, "kms:ImportKeyMaterial");
            RequireExternal(key);
            var token = ImportToken.Open(secrets, importToken);
            if (token.KeyId.ToString() != key.KeyId)
            {
                throw new KmsException(KmsErrorCode.InvalidImportToken, "The import token was issued for another key.");
            }

            if (token.Expires <= Now || !store.HasWrappingKey(token.WrappingLabel))
            {
                throw new KmsException(KmsErrorCode.ExpiredImportToken, "The import token has expired.");
            }

            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw resolver.InvalidState(key);
            }

            if (validTo is { } v && v <= Now)
            {
                throw new KmsException(KmsErrorCode.Validation, "ValidTo must be in the future.");
            }

            if (key.HasImportedMaterial)
            {
                throw new KmsException(KmsErrorCode.KmsInvalidState, "The key already has key material; delete it before importing again.");
            }

            var label = TenantKeyRecord.VersionLabel(key.KeyId, 1);
            HsmErrors.Guard(() => hsm.Destroy(label)); // leftovers of an interrupted import
            HsmErrors.Guard(() => hsm.UnwrapImportedAesKey(token.WrappingLabel, token.Wrapping, encryptedMaterial, token.RsaBytes, label));
            try
            {
                // SoftHSM reports 0 for unwrapped keys (unknown); modules that know the length must say 32.
                if (HsmErrors.Guard(() => hsm.SecretKeyLength(label)) is not (null or 0 or 32))
                {
                    throw new KmsException(KmsErrorCode.IncorrectKeyMaterial, "Key material for a symmetric key must be 256 bits.");
                }

                var kcv = HsmErrors.Guard(() => hsm.KeyCheckValue(label));
                if (key.ImportKcv is not null && !CryptographicOperations.FixedTimeEquals(kcv, key.ImportKcv))
                {
                    throw new KmsException(KmsErrorCode.IncorrectKeyMaterial, "The key material is not the material previously imported into this key.");
                }

                var first = key.ImportKcv is null;
                var updated = key.Clone();
                updated.ImportKcv = kcv;
                updated.HasImportedMaterial = true;
                updated.ValidTo = validTo;
                updated.State = KmsKeyState.Enabled;
                store.UpdateKey(updated, first ? new KeyVersionRecord(key.KeyId, 1, Now, null, Convert.ToHexStringLower(SHA256.HashData(kcv))) : null);
                writer.Raise(updated);
                return updated;
            }
            catch
            {
                writer.TryDestroy(label);
                throw;
            }
        }
    }

    public TenantKeyRecord DeleteImportedKeyMaterial(KmsCaller caller, string keyRef)
    {
        using (writer.EnterChange())
        {
            var key = resolver.Resolve(caller, keyRef, "kms:DeleteImportedKeyMaterial");
            RequireExternal(key);
            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw resolver.InvalidState(key);
            }

            return writer.ShredImportedMaterial(key);
        }
    }

    private void RequireExternal(TenantKeyRecord key)
    {
        if (key.Origin != KeyOrigin.External)
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation, $"{resolver.Arn(key)} origin is AWS_KMS which is not valid for this operation.");
        }
    }
}
