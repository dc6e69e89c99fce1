using System.Collections.Concurrent;
using System.Security.Cryptography;
using CloudSecReq.Kms.Pkcs11;

namespace CloudSecReq.Kms.Hsm;

/// Key objects on the token, addressed by CKA_LABEL, with a handle cache invalidated per pool generation.
/// Every secret or private key is a token object: CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE.
/// Thread safe.
internal sealed class HsmKeyStore(Pkcs11SessionPool pool)
{
    public const int GcmIvBytes = 12;
    public const int GcmTagBytes = 16;

    // The key check value is the AES-CMAC of this constant, computed inside the HSM.
    private static readonly byte[] s_kcvInput = "CloudSecReq key check value v1\0\0"u8.ToArray();

    private readonly ConcurrentDictionary<string, (long Generation, nuint Handle)> _handles = new(StringComparer.Ordinal);

    public Pkcs11SessionPool Pool => pool;

    /// Forgets cached object handles (they are re-found by label on next use).
    public void PurgeHandles() => _handles.Clear();

    /// Generates a non-extractable AES-256 token key labelled <paramref name="label"/>. Not retried on a lost
    /// session (the caller decides; a half-made object is found and destroyed by label).
    public void GenerateAesKey(string label)
    {
        var template = SecretKeyTemplate(label).ULong(Ck.CKA_VALUE_LEN, 32);
        pool.Run(s => _handles[label] = (s.Generation, s.GenerateKey(Ck.CKM_AES_KEY_GEN, template)), retry: false);
    }

    /// Whether any object carries <paramref name="label"/>.
    public bool Exists(string label) => pool.Run(s => s.FindObjects(LabelTemplate(label), 1).Length > 0);

    /// How many objects carry <paramref name="label"/>.
    public int CountObjects(string label) => pool.Run(s => s.FindObjects(LabelTemplate(label)).Length);

    /// Destroys every object labelled <paramref name="label"/>; returns how many. Idempotent.
    public int Destroy(string label)
    {
        _handles.TryRemove(label, out _);
        return pool.Run(s =>
        {
            var found = s.FindObjects(LabelTemplate(label));
            foreach (var handle in found)
            {
                s.DestroyObject(handle);
            }

            return found.Length;
        });
    }

    /// AES-256-GCM inside the HSM under <paramref name="label"/>; returns IV (12 bytes, random) ‖ ciphertext ‖ tag.
    public byte[] EncryptGcm(string label, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[GcmIvBytes + plaintext.Length + GcmTagBytes + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, GcmIvBytes));
        var aadCopy = aad.ToArray();
        var ptCopy = plaintext.ToArray();
        try
        {
            var written = WithKey(label, (s, key) => s.EncryptAesGcm(key, output.AsSpan(0, GcmIvBytes), aadCopy, ptCopy, output.AsSpan(GcmIvBytes)));
            return output.AsSpan(0, GcmIvBytes + written).ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ptCopy);
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// Opens IV ‖ ciphertext ‖ tag made by <see cref="EncryptGcm"/>. A wrong key, AAD or tag throws
    /// <see cref="Pkcs11Exception"/> with kind CiphertextRejected. The caller owns (and should zero) the result.
    public byte[] DecryptGcm(string label, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> sealedData)
    {
        if (sealedData.Length < GcmIvBytes + GcmTagBytes)
        {
            throw new Pkcs11Exception("C_Decrypt", Pkcs11ErrorKind.CiphertextRejected, "input too short");
        }

        var input = sealedData.ToArray();
        var aadCopy = aad.ToArray();
        var output = new byte[input.Length];
        try
        {
            var written = WithKey(label, (s, key) => s.DecryptAesGcm(key, input.AsSpan(0, GcmIvBytes), aadCopy, input.AsSpan(GcmIvBytes), output));
            return output.AsSpan(0, written).ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// AES-CMAC of a fixed constant under the key: a key check value that identifies the material without revealing it.
    public byte[] KeyCheckValue(string label) => WithKey(label, (s, key) => s.Sign(Ck.CKM_AES_CMAC, key, s_kcvInput));

    /// Generates (or finds) an EC P-256 signing pair labelled <paramref name="label"/>; the private key never leaves.
    public void EnsureEcSigningKey(string label)
    {
        if (pool.Run(s => s.FindObjects(ClassTemplate(label, Ck.CKO_PRIVATE_KEY), 1).Length) > 0)
        {
            return;
        }

        var pub = new AttributeTemplate()
            .ULong(Ck.CKA_CLASS, Ck.CKO_PUBLIC_KEY).ULong(Ck.CKA_KEY_TYPE, Ck.CKK_EC)
            .Bool(Ck.CKA_TOKEN, true).Bool(Ck.CKA_PRIVATE, false).Bool(Ck.CKA_VERIFY, true)
            .Bytes(Ck.CKA_EC_PARAMS, Ck.P256Oid).Text(Ck.CKA_LABEL, label);
        var priv = new AttributeTemplate()
            .ULong(Ck.CKA_CLASS, Ck.CKO_PRIVATE_KEY).ULong(Ck.CKA_KEY_TYPE, Ck.CKK_EC)
            .Bool(Ck.CKA_TOKEN, true).Bool(Ck.CKA_PRIVATE, true).Bool(Ck.CKA_SENSITIVE, true)
            .Bool(Ck.CKA_EXTRACTABLE, false).Bool(Ck.CKA_SIGN, true).Text(Ck.CKA_LABEL, label);
        pool.Run(s => s.GenerateKeyPair(Ck.CKM_EC_KEY_PAIR_GEN, pub, priv), retry: false);
    }

    /// The P-256 public key of <paramref name="label"/> as X.509 SubjectPublicKeyInfo DER.
    public byte[] GetEcPublicKey(string label) => pool.Run(s =>
    {
        var handle = s.FindObjects(ClassTemplate(label, Ck.CKO_PUBLIC_KEY), 1).FirstOrDefault();
        if (handle == 0)
        {
            throw new HsmKeyMissingException(label);
        }

        // CKA_EC_POINT is a DER OCTET STRING holding the uncompressed point 04‖X‖Y.
        var der = s.GetAttribute(handle, Ck.CKA_EC_POINT) ?? throw new HsmKeyMissingException(label);
        var point = der.Length == 67 && der[0] == 0x04 && der[1] == 65 ? der.AsSpan(2) : der.AsSpan();
        if (point.Length != 65 || point[0] != 0x04)
        {
            throw new Pkcs11Exception("C_GetAttributeValue", Pkcs11ErrorKind.Internal, "unexpected CKA_EC_POINT encoding");
        }

        using var ec = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point.Slice(1, 32).ToArray(), Y = point.Slice(33, 32).ToArray() },
        });
        return ec.ExportSubjectPublicKeyInfo();
    });

    /// ECDSA over a host-computed SHA-256 <paramref name="hash"/> (SoftHSM has no CKM_ECDSA_SHA256); returns r‖s (64 bytes).
    public byte[] SignEcdsa(string label, ReadOnlySpan<byte> hash)
    {
        var copy = hash.ToArray();
        return WithKey(label, (s, key) => s.Sign(Ck.CKM_ECDSA, key, copy), Ck.CKO_PRIVATE_KEY);
    }

    /// Generates an RSA wrapping pair for imports: the private half is a token object (non-extractable, unwrap only),
    /// the public half a session object read once and destroyed. Returns the public key as SubjectPublicKeyInfo DER.
    public byte[] GenerateRsaWrappingKey(string label, int modulusBits)
    {
        var pub = new AttributeTemplate()
            .ULong(Ck.CKA_CLASS, Ck.CKO_PUBLIC_KEY).ULong(Ck.CKA_KEY_TYPE, Ck.CKK_RSA)
            .Bool(Ck.CKA_TOKEN, false).Bool(Ck.CKA_WRAP, true).Bool(Ck.CKA_ENCRYPT, true)
            .ULong(Ck.CKA_MODULUS_BITS, (ulong)modulusBits).Bytes(Ck.CKA_PUBLIC_EXPONENT, [1, 0, 1])
            .Text(Ck.CKA_LABEL, label + ":public");
        var priv = new AttributeTemplate()
            .ULong(Ck.CKA_CLASS, Ck.CKO_PRIVATE_KEY).ULong(Ck.CKA_KEY_TYPE, Ck.CKK_RSA)
            .Bool(Ck.CKA_TOKEN, true).Bool(Ck.CKA_PRIVATE, true).Bool(Ck.CKA_SENSITIVE, true)
            .Bool(Ck.CKA_EXTRACTABLE, false).Bool(Ck.CKA_UNWRAP, true).Bool(Ck.CKA_DECRYPT, false)
            .Bool(Ck.CKA_SIGN, false).Text(Ck.CKA_LABEL, label);
        return pool.Run(s =>
        {
            var (publicKey, privateKey) = s.GenerateKeyPair(Ck.CKM_RSA_PKCS_KEY_PAIR_GEN, pub, priv);
            _handles[label] = (s.Generation, privateKey);
            try
            {
                var modulus = s.GetAttribute(publicKey, Ck.CKA_MODULUS);
                var exponent = s.GetAttribute(publicKey, Ck.CKA_PUBLIC_EXPONENT);
                using var rsa = RSA.Create(new RSAParameters { Modulus = modulus, Exponent = exponent });
                return rsa.ExportSubjectPublicKeyInfo();
            }
            finally
            {
                s.DestroyObject(publicKey);
            }
        }, retry: false);
    }

    /// Unwraps imported key material with the RSA wrapping key <paramref name="wrappingLabel"/> into a new
    /// non-extractable AES token key labelled <paramref name="targetLabel"/>, entirely inside the HSM.
    /// RSA_AES_KEY_WRAP is two unwraps (OAEP for the ephemeral AES key as a session object, then KWP), as SoftHSM
    /// lacks CKM_RSA_AES_KEY_WRAP. Throws CiphertextRejected for a blob the key does not open, Unsupported for
    /// SHA-256 variants the module cannot do natively.
    public void UnwrapImportedAesKey(string wrappingLabel, ImportWrapping wrapping, ReadOnlySpan<byte> encryptedMaterial, int rsaBytes, string targetLabel)
    {
        var material = encryptedMaterial.ToArray();
        var target = SecretKeyTemplate(targetLabel);
        var oaep = wrapping is ImportWrapping.RsaesOaepSha1 or ImportWrapping.RsaAesKeyWrapSha1
            ? KeyWrapMechanism.RsaOaepSha1
            : KeyWrapMechanism.RsaOaepSha256;
        WithKey(wrappingLabel, (s, wrappingKey) =>
        {
            if (wrapping is ImportWrapping.RsaesOaepSha1 or ImportWrapping.RsaesOaepSha256)
            {
                _handles[targetLabel] = (s.Generation, s.UnwrapKey(oaep, wrappingKey, material, target));
                return true;
            }

            // KWP of 25..32 bytes is 40 bytes; as AES keys are 16, 24 or 32 bytes, 40 means a 256-bit key.
            if (material.Length != rsaBytes + 40)
            {
                throw new Pkcs11Exception("C_UnwrapKey", Pkcs11ErrorKind.CiphertextRejected, "wrapped key material must be 256 bits");
            }

            var ephemeralTemplate = new AttributeTemplate()
                .ULong(Ck.CKA_CLASS, Ck.CKO_SECRET_KEY).ULong(Ck.CKA_KEY_TYPE, Ck.CKK_AES)
                .Bool(Ck.CKA_TOKEN, false).Bool(Ck.CKA_PRIVATE, true).Bool(Ck.CKA_SENSITIVE, true)
                .Bool(Ck.CKA_EXTRACTABLE, false).Bool(Ck.CKA_UNWRAP, true)
                .Bool(Ck.CKA_ENCRYPT, false).Bool(Ck.CKA_DECRYPT, false);
            var ephemeral = s.UnwrapKey(oaep, wrappingKey, material.AsSpan(0, rsaBytes), ephemeralTemplate);
            try
            {
                _handles[targetLabel] = (s.Generation, s.UnwrapKey(KeyWrapMechanism.AesKeyWrapPad, ephemeral, material.AsSpan(rsaBytes), target));
            }
            finally
            {
                s.DestroyObject(ephemeral);
            }

            return true;
        }, Ck.CKO_PRIVATE_KEY, retry: false);
    }

    /// Switches CKA_ENCRYPT/CKA_DECRYPT of a key (Disable/Enable): a disabled key is refused by the HSM itself
    /// (CKR_KEY_FUNCTION_NOT_PERMITTED), not only by our metadata.
    public void SetUsable(string label, bool usable) => WithKey(label, (s, key) =>
    {
        s.SetAttributes(key, new AttributeTemplate().Bool(Ck.CKA_ENCRYPT, usable).Bool(Ck.CKA_DECRYPT, usable));
        return true;
    });

    /// Whether CKA_ENCRYPT is set on a key (tests).
    public bool? IsUsable(string label) => WithKey(label, (s, key) => s.GetBoolAttribute(key, Ck.CKA_ENCRYPT));

    /// The CKA_VALUE_LEN of a secret key (bytes).
    public ulong? SecretKeyLength(string label) => WithKey(label, (s, key) => s.GetULongAttribute(key, Ck.CKA_VALUE_LEN));

    /// Random bytes from the HSM's generator.
    public byte[] GenerateRandom(int count)
    {
        var bytes = new byte[count];
        pool.Run(s => s.GenerateRandom(bytes));
        return bytes;
    }

    private T WithKey<T>(string label, Func<Pkcs11Session, nuint, T> operation, nuint objectClass = Ck.CKO_SECRET_KEY, bool retry = true)
    {
        return pool.Run(s =>
        {
            for (var attempt = 0; ; attempt++)
            {
                var handle = Resolve(s, label, objectClass);
                try
                {
                    return operation(s, handle);
                }
                catch (Pkcs11Exception e) when (e.Kind == Pkcs11ErrorKind.StaleHandle && attempt == 0)
                {
                    _handles.TryRemove(label, out _);
                }
            }
        }, retry);
    }

    private nuint Resolve(Pkcs11Session session, string label, nuint objectClass)
    {
        if (_handles.TryGetValue(label, out var cached) && cached.Generation == session.Generation)
        {
            return cached.Handle;
        }

        var found = session.FindObjects(ClassTemplate(label, objectClass), 2);
        if (found.Length == 0)
        {
            // A stale view of the token (e.g. its storage came back) is cured by reconnecting: the pool retries once.
            if (pool.TryMarkSuspect(session.Generation))
            {
                throw new Pkcs11Exception("C_FindObjects", Pkcs11ErrorKind.Unavailable, "an expected object is missing; reconnecting");
            }

            throw new HsmKeyMissingException(label);
        }

        _handles[label] = (session.Generation, found[0]);
        return found[0];
    }

    private static AttributeTemplate SecretKeyTemplate(string label) => new AttributeTemplate()
        .ULong(Ck.CKA_CLASS, Ck.CKO_SECRET_KEY).ULong(Ck.CKA_KEY_TYPE, Ck.CKK_AES)
        .Bool(Ck.CKA_TOKEN, true).Bool(Ck.CKA_PRIVATE, true).Bool(Ck.CKA_SENSITIVE, true)
        .Bool(Ck.CKA_EXTRACTABLE, false).Bool(Ck.CKA_ENCRYPT, true).Bool(Ck.CKA_DECRYPT, true)
        .Bool(Ck.CKA_SIGN, true).Bool(Ck.CKA_WRAP, false).Bool(Ck.CKA_UNWRAP, false)
        .Text(Ck.CKA_LABEL, label);

    private static AttributeTemplate LabelTemplate(string label) => new AttributeTemplate().Text(Ck.CKA_LABEL, label);

    private static AttributeTemplate ClassTemplate(string label, nuint objectClass) =>
        new AttributeTemplate().ULong(Ck.CKA_CLASS, objectClass).Text(Ck.CKA_LABEL, label);
}
