namespace CloudSecReq.Kms.Pkcs11;

/// One PKCS#11 session. Not thread safe: a session is used by one thread at a time (the pool guarantees it).
/// Methods throw <see cref="Pkcs11Exception"/>; messages never carry data, keys or PINs.
internal sealed unsafe class Pkcs11Session
{
    private readonly Pkcs11Functions _f;

    public Pkcs11Session(Pkcs11Module module, nuint handle, long generation)
    {
        _f = module.F;
        Handle = handle;
        Generation = generation;
    }

    public nuint Handle { get; }

    /// The pool generation this session belongs to; a reconnect starts a new generation.
    public long Generation { get; }

    public void Login(ReadOnlySpan<byte> pin)
    {
        fixed (byte* p = pin)
        {
            var rv = _f.Login(Handle, Ck.CKU_USER, p, (nuint)pin.Length);
            if (rv != Pkcs11ErrorMap.CKR_USER_ALREADY_LOGGED_IN)
            {
                Pkcs11ErrorMap.Check(rv, "C_Login");
            }
        }
    }

    public void Close() => _f.CloseSession(Handle);

    public nuint GenerateKey(nuint mechanism, AttributeTemplate template)
    {
        var mech = new CkMechanism { Mechanism = mechanism };
        using var t = template.ToNative();
        nuint key;
        Pkcs11ErrorMap.Check(_f.GenerateKey(Handle, &mech, t.Pointer, t.Count, &key), "C_GenerateKey");
        return key;
    }

    public (nuint PublicKey, nuint PrivateKey) GenerateKeyPair(nuint mechanism, AttributeTemplate publicTemplate, AttributeTemplate privateTemplate)
    {
        var mech = new CkMechanism { Mechanism = mechanism };
        using var pub = publicTemplate.ToNative();
        using var priv = privateTemplate.ToNative();
        nuint publicKey, privateKey;
        Pkcs11ErrorMap.Check(
            _f.GenerateKeyPair(Handle, &mech, pub.Pointer, pub.Count, priv.Pointer, priv.Count, &publicKey, &privateKey),
            "C_GenerateKeyPair");
        return (publicKey, privateKey);
    }

    public nuint CreateObject(AttributeTemplate template)
    {
        using var t = template.ToNative();
        nuint obj;
        Pkcs11ErrorMap.Check(_f.CreateObject(Handle, t.Pointer, t.Count, &obj), "C_CreateObject");
        return obj;
    }

    public void DestroyObject(nuint obj) => Pkcs11ErrorMap.Check(_f.DestroyObject(Handle, obj), "C_DestroyObject");

    /// C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal; returns at most <paramref name="max"/> handles.
    public nuint[] FindObjects(AttributeTemplate template, int max = 1024)
    {
        using var t = template.ToNative();
        Pkcs11ErrorMap.Check(_f.FindObjectsInit(Handle, t.Pointer, t.Count), "C_FindObjectsInit");
        var found = new List<nuint>();
        try
        {
            var batch = stackalloc nuint[64];
            while (found.Count < max)
            {
                nuint count;
                Pkcs11ErrorMap.Check(_f.FindObjects(Handle, batch, 64, &count), "C_FindObjects");
                if (count == 0)
                {
                    break;
                }

                for (nuint i = 0; i < count; i++)
                {
                    found.Add(batch[i]);
                }
            }
        }
        finally
        {
            _f.FindObjectsFinal(Handle);
        }

        return found.Count > max ? found.GetRange(0, max).ToArray() : found.ToArray();
    }

    /// One attribute value (two-call pattern), or null when the attribute is absent or sensitive.
    public byte[]? GetAttribute(nuint obj, nuint type)
    {
        var attribute = new CkAttribute { Type = type };
        var rv = _f.GetAttributeValue(Handle, obj, &attribute, 1);
        if ((ulong)rv is Pkcs11ErrorMap.CKR_ATTRIBUTE_TYPE_INVALID or Pkcs11ErrorMap.CKR_ATTRIBUTE_SENSITIVE)
        {
            return null;
        }

        Pkcs11ErrorMap.Check(rv, "C_GetAttributeValue");
        if (attribute.ValueLen == nuint.MaxValue)
        {
            return null; // CK_UNAVAILABLE_INFORMATION
        }

        var value = new byte[attribute.ValueLen];
        fixed (byte* p = value)
        {
            attribute.Value = p;
            Pkcs11ErrorMap.Check(_f.GetAttributeValue(Handle, obj, &attribute, 1), "C_GetAttributeValue");
        }

        return value;
    }

    public ulong? GetULongAttribute(nuint obj, nuint type)
    {
        var value = GetAttribute(obj, type);
        return value is { Length: 8 } ? BitConverter.ToUInt64(value) : null;
    }

    public bool? GetBoolAttribute(nuint obj, nuint type)
    {
        var value = GetAttribute(obj, type);
        return value is { Length: 1 } ? value[0] != 0 : null;
    }

    public void SetAttributes(nuint obj, AttributeTemplate template)
    {
        using var t = template.ToNative();
        Pkcs11ErrorMap.Check(_f.SetAttributeValue(Handle, obj, t.Pointer, t.Count), "C_SetAttributeValue");
    }

    /// AES-GCM with a caller-chosen IV and a 128-bit tag; writes ciphertext‖tag to <paramref name="output"/>
    /// (at least plaintext + 16 bytes) and returns its length.
    public int EncryptAesGcm(nuint key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        fixed (byte* pIv = iv)
        fixed (byte* pAad = aad)
        fixed (byte* pIn = plaintext)
        fixed (byte* pOut = output)
        {
            var gcm = new CkGcmParams
            {
                Iv = pIv, IvLen = (nuint)iv.Length, IvBits = (nuint)iv.Length * 8,
                Aad = pAad, AadLen = (nuint)aad.Length, TagBits = 128,
            };
            var mech = new CkMechanism { Mechanism = Ck.CKM_AES_GCM, Parameter = &gcm, ParameterLen = (nuint)sizeof(CkGcmParams) };
            Pkcs11ErrorMap.Check(_f.EncryptInit(Handle, &mech, key), "C_EncryptInit");
            var outLen = (nuint)output.Length;
            Pkcs11ErrorMap.Check(_f.Encrypt(Handle, pIn, (nuint)plaintext.Length, pOut, &outLen), "C_Encrypt");
            return (int)outLen;
        }
    }

    /// AES-GCM decrypt of ciphertext‖tag. <paramref name="output"/> must hold at least the input length
    /// (modules size the buffer before removing the tag). A wrong key, AAD or tag throws with kind CiphertextRejected.
    public int DecryptAesGcm(nuint key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> output)
    {
        fixed (byte* pIv = iv)
        fixed (byte* pAad = aad)
        fixed (byte* pIn = ciphertextAndTag)
        fixed (byte* pOut = output)
        {
            var gcm = new CkGcmParams
            {
                Iv = pIv, IvLen = (nuint)iv.Length, IvBits = (nuint)iv.Length * 8,
                Aad = pAad, AadLen = (nuint)aad.Length, TagBits = 128,
            };
            var mech = new CkMechanism { Mechanism = Ck.CKM_AES_GCM, Parameter = &gcm, ParameterLen = (nuint)sizeof(CkGcmParams) };
            Pkcs11ErrorMap.Check(_f.DecryptInit(Handle, &mech, key), "C_DecryptInit");
            var outLen = (nuint)output.Length;
            Pkcs11ErrorMap.CheckDecrypt(_f.Decrypt(Handle, pIn, (nuint)ciphertextAndTag.Length, pOut, &outLen), "C_Decrypt");
            return (int)outLen;
        }
    }

    /// C_WrapKey. The output buffer is pre-sized (SoftHSM performs the whole wrap for a size query).
    public byte[] WrapKey(KeyWrapMechanism mechanism, nuint wrappingKey, nuint key)
    {
        var oaep = OaepParams(mechanism);
        var mech = Mechanism(mechanism, &oaep);
        var buffer = new byte[4096];
        fixed (byte* p = buffer)
        {
            var len = (nuint)buffer.Length;
            Pkcs11ErrorMap.Check(_f.WrapKey(Handle, &mech, wrappingKey, key, p, &len), "C_WrapKey");
            return buffer.AsSpan(0, (int)len).ToArray();
        }
    }

    /// C_UnwrapKey into a new object described by <paramref name="template"/> (needs CKA_CLASS and CKA_KEY_TYPE).
    /// A blob the key does not open throws with kind CiphertextRejected.
    public nuint UnwrapKey(KeyWrapMechanism mechanism, nuint unwrappingKey, ReadOnlySpan<byte> wrappedKey, AttributeTemplate template)
    {
        var oaep = OaepParams(mechanism);
        var mech = Mechanism(mechanism, &oaep);
        using var t = template.ToNative();
        fixed (byte* p = wrappedKey)
        {
            nuint key;
            Pkcs11ErrorMap.CheckDecrypt(
                _f.UnwrapKey(Handle, &mech, unwrappingKey, p, (nuint)wrappedKey.Length, t.Pointer, t.Count, &key),
                "C_UnwrapKey");
            return key;
        }
    }

    /// C_SignInit + C_Sign with a parameterless mechanism (CKM_ECDSA over a host-computed hash, CKM_AES_CMAC).
    public byte[] Sign(nuint mechanism, nuint key, ReadOnlySpan<byte> data)
    {
        var mech = new CkMechanism { Mechanism = mechanism };
        Pkcs11ErrorMap.Check(_f.SignInit(Handle, &mech, key), "C_SignInit");
        var signature = new byte[512];
        fixed (byte* pData = data)
        fixed (byte* pSig = signature)
        {
            var len = (nuint)signature.Length;
            Pkcs11ErrorMap.Check(_f.Sign(Handle, pData, (nuint)data.Length, pSig, &len), "C_Sign");
            return signature.AsSpan(0, (int)len).ToArray();
        }
    }

    public void GenerateRandom(Span<byte> output)
    {
        fixed (byte* p = output)
        {
            Pkcs11ErrorMap.Check(_f.GenerateRandom(Handle, p, (nuint)output.Length), "C_GenerateRandom");
        }
    }

    private static CkRsaPkcsOaepParams OaepParams(KeyWrapMechanism mechanism) => mechanism switch
    {
        KeyWrapMechanism.RsaOaepSha1 => new CkRsaPkcsOaepParams { HashAlg = Ck.CKM_SHA_1, Mgf = Ck.CKG_MGF1_SHA1, Source = Ck.CKZ_DATA_SPECIFIED },
        KeyWrapMechanism.RsaOaepSha256 => new CkRsaPkcsOaepParams { HashAlg = Ck.CKM_SHA256, Mgf = Ck.CKG_MGF1_SHA256, Source = Ck.CKZ_DATA_SPECIFIED },
        _ => default,
    };

    private static CkMechanism Mechanism(KeyWrapMechanism mechanism, CkRsaPkcsOaepParams* oaep) => mechanism switch
    {
        KeyWrapMechanism.AesKeyWrapPad => new CkMechanism { Mechanism = Ck.CKM_AES_KEY_WRAP_PAD },
        _ => new CkMechanism { Mechanism = Ck.CKM_RSA_PKCS_OAEP, Parameter = oaep, ParameterLen = (nuint)sizeof(CkRsaPkcsOaepParams) },
    };
}
