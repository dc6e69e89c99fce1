// Over ~500 lines on purpose: one dispatcher for the 30 AWS KMS operations, each a short request → call → response
// mapping in the order of Operations; split by operation group it would be read in several places for one table.
using System.Security.Cryptography;
using System.Text.Json;
using CloudSecReq.Kms.Hsm;
using CloudSecReq.Kms.Keys;

namespace CloudSecReq.Kms.Api;

/// The tenant-facing KMS API, transport independent: the gateway hosts it at POST / with
/// X-Amz-Target "TrentService.&lt;Operation&gt;" and Content-Type application/x-amz-json-1.1 after SigV4 (service "kms").
/// Thread safe. Never throws for request errors: they become AWS error bodies {"__type", "message"} with the status
/// from <see cref="KmsErrorTable"/>; unexpected failures become KMSInternalException (500) with no details.
public sealed class KmsApi
{
    private const int MaxPlaintextBytes = 4096;
    private const int MaxCiphertextBytes = 6144;
    private readonly TenantKeyResolver _resolver;
    private readonly TenantKeyLifecycle _lifecycle;
    private readonly TenantKeyCrypto _crypto;
    private readonly TenantKeyImport _import;

    internal KmsApi(TenantKeyResolver resolver, TenantKeyLifecycle lifecycle, TenantKeyCrypto crypto, TenantKeyImport import) =>
        (_resolver, _lifecycle, _crypto, _import) = (resolver, lifecycle, crypto, import);

    /// The operations this API implements (the part after "TrentService.").
    public static IReadOnlyList<string> Operations { get; } =
    [
        "CreateKey", "DescribeKey", "ListKeys", "CreateAlias", "UpdateAlias", "DeleteAlias", "ListAliases",
        "EnableKey", "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "EnableKeyRotation",
        "DisableKeyRotation", "GetKeyRotationStatus", "RotateKeyOnDemand", "ListKeyRotations",
        "GetParametersForImport", "ImportKeyMaterial", "DeleteImportedKeyMaterial", "Encrypt", "Decrypt",
        "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateRandom", "GetKeyPolicy",
        "PutKeyPolicy", "TagResource", "UntagResource", "ListResourceTags",
    ];

    /// Handles one request. <paramref name="operation"/> is the X-Amz-Target suffix; <paramref name="requestJson"/>
    /// the body. Returns the status and JSON body to send. Blocking HSM work runs on the calling thread.
    public Task<KmsResponse> HandleAsync(KmsCaller caller, string operation, ReadOnlyMemory<byte> requestJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            using var doc = Parse(requestJson);
            var request = new KmsRequest(doc.RootElement);
            return Task.FromResult(Dispatch(caller, operation, request));
        }
        catch (KmsException e)
        {
            return Task.FromResult(KmsJsonWriter.Error(e));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Task.FromResult(KmsJsonWriter.Error(HsmErrors.ToKms(e)));
        }
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> json)
    {
        try
        {
            var doc = JsonDocument.Parse(json.Length == 0 ? "{}"u8.ToArray() : json);
            try
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new KmsException(KmsErrorCode.Serialization, "The request body must be a JSON object.");
                }

                RequireDecodableStrings(doc.RootElement);
                return doc;
            }
            catch
            {
                doc.Dispose();
                throw;
            }
        }
        catch (JsonException)
        {
            throw new KmsException(KmsErrorCode.Serialization, "The request body is not valid JSON.");
        }
    }

    // JsonDocument checks the syntax but decodes strings only when they are read: invalid UTF-8 (0xFF, overlong forms,
    // encoded surrogates) or a lone surrogate escape ("\uD800") would throw InvalidOperationException in whichever
    // member reads it, a 500. Decoding every member name and string once here makes them SerializationException (400),
    // as AWS answers a body it cannot deserialise. Depth is bounded by the parser (64).
    private static void RequireDecodableStrings(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var member in element.EnumerateObject())
                    {
                        _ = member.Name;
                        RequireDecodableStrings(member.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        RequireDecodableStrings(item);
                    }

                    break;
                case JsonValueKind.String:
                    _ = element.GetString();
                    break;
            }
        }
        catch (InvalidOperationException)
        {
            throw new KmsException(KmsErrorCode.Serialization, "The request body contains a string that is not valid UTF-8 or UTF-16.");
        }
    }

    private KmsResponse Dispatch(KmsCaller c, string operation, KmsRequest r) => operation switch
    {
        "CreateKey" => CreateKey(c, r),
        "DescribeKey" => Metadata(_lifecycle.Describe(c, r.RequiredString("KeyId"))),
        "ListKeys" => ListKeys(c, r),
        "CreateAlias" => Empty(() => _lifecycle.CreateAlias(c, r.RequiredString("AliasName"), r.RequiredString("TargetKeyId"))),
        "UpdateAlias" => Empty(() => _lifecycle.UpdateAlias(c, r.RequiredString("AliasName"), r.RequiredString("TargetKeyId"))),
        "DeleteAlias" => Empty(() => _lifecycle.DeleteAlias(c, r.RequiredString("AliasName"))),
        "ListAliases" => ListAliases(c, r),
        "EnableKey" => Empty(() => _lifecycle.Enable(c, r.RequiredString("KeyId"))),
        "DisableKey" => Empty(() => _lifecycle.Disable(c, r.RequiredString("KeyId"))),
        "ScheduleKeyDeletion" => ScheduleKeyDeletion(c, r),
        "CancelKeyDeletion" => KeyIdOnly(_lifecycle.CancelDeletion(c, r.RequiredString("KeyId"))),
        "EnableKeyRotation" => Empty(() => _lifecycle.EnableRotation(c, r.RequiredString("KeyId"), r.Int("RotationPeriodInDays"))),
        "DisableKeyRotation" => Empty(() => _lifecycle.DisableRotation(c, r.RequiredString("KeyId"))),
        "GetKeyRotationStatus" => GetKeyRotationStatus(c, r),
        "RotateKeyOnDemand" => KeyIdOnly(_lifecycle.RotateOnDemand(c, r.RequiredString("KeyId"))),
        "ListKeyRotations" => ListKeyRotations(c, r),
        "GetParametersForImport" => GetParametersForImport(c, r),
        "ImportKeyMaterial" => ImportKeyMaterial(c, r),
        "DeleteImportedKeyMaterial" => DeleteImportedKeyMaterial(c, r),
        "Encrypt" => Encrypt(c, r),
        "Decrypt" => Decrypt(c, r),
        "ReEncrypt" => ReEncrypt(c, r),
        "GenerateDataKey" => GenerateDataKey(c, r, withPlaintext: true),
        "GenerateDataKeyWithoutPlaintext" => GenerateDataKey(c, r, withPlaintext: false),
        "GenerateRandom" => GenerateRandom(r),
        "GetKeyPolicy" => GetKeyPolicy(c, r),
        "PutKeyPolicy" => Empty(() => _lifecycle.PutPolicy(c, r.RequiredString("KeyId"), r.String("PolicyName"), r.RequiredString("Policy"))),
        "TagResource" => Empty(() => _lifecycle.Tag(c, r.RequiredString("KeyId"), r.Tags("Tags"))),
        "UntagResource" => Empty(() => _lifecycle.Untag(c, r.RequiredString("KeyId"), r.StringList("TagKeys"))),
        "ListResourceTags" => ListResourceTags(c, r),
        _ => throw new KmsException(KmsErrorCode.UnsupportedOperation, $"{operation} is not supported by this KMS."),
    };

    private KmsResponse CreateKey(KmsCaller c, KmsRequest r)
    {
        var spec = r.String("KeySpec") ?? r.String("CustomerMasterKeySpec") ?? "SYMMETRIC_DEFAULT";
        var usage = r.String("KeyUsage") ?? "ENCRYPT_DECRYPT";
        if (spec != "SYMMETRIC_DEFAULT" || usage != "ENCRYPT_DECRYPT")
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation, "Only SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys are supported.");
        }

        if (r.Bool("MultiRegion") == true || r.String("CustomKeyStoreId") is not null || r.String("XksKeyId") is not null)
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation, "Multi-Region keys and custom key stores are not supported.");
        }

        var origin = r.String("Origin") switch
        {
            null or "AWS_KMS" => KeyOrigin.AwsKms,
            "EXTERNAL" => KeyOrigin.External,
            _ => throw new KmsException(KmsErrorCode.UnsupportedOperation, "Origin must be AWS_KMS or EXTERNAL."),
        };
        return Metadata(_lifecycle.CreateKey(c, r.String("Description"), origin, r.String("Policy"), r.Tags("Tags")));
    }

    private KmsResponse Metadata(TenantKeyRecord key)
    {
        using var w = new KmsJsonWriter();
        w.KeyMetadata(key, _resolver.Arn(key), CurrentMaterialId(key));
        return w.ToResponse();
    }

    private string? CurrentMaterialId(TenantKeyRecord key) =>
        key.Origin == KeyOrigin.External && !key.HasImportedMaterial
            ? null
            : _lifecycle.Versions(key).FirstOrDefault(v => v.Version == key.CurrentVersion)?.MaterialId;

    private KmsResponse ListKeys(KmsCaller c, KmsRequest r)
    {
        var keys = _lifecycle.ListKeys(c);
        var (page, next) = Page(keys, r, k => k.KeyId);
        using var w = new KmsJsonWriter();
        w.W.WriteStartArray("Keys");
        foreach (var k in page)
        {
            w.W.WriteStartObject();
            w.W.WriteString("KeyId", k.KeyId);
            w.W.WriteString("KeyArn", _resolver.Arn(k));
            w.W.WriteEndObject();
        }

        w.W.WriteEndArray();
        return Paged(w, next);
    }

    private KmsResponse ListAliases(KmsCaller c, KmsRequest r)
    {
        var aliases = _lifecycle.ListAliases(c, r.String("KeyId"));
        var (page, next) = Page(aliases, r, a => a.AliasName);
        using var w = new KmsJsonWriter();
        w.W.WriteStartArray("Aliases");
        foreach (var a in page)
        {
            w.W.WriteStartObject();
            w.W.WriteString("AliasName", a.AliasName);
            w.W.WriteString("AliasArn", _resolver.AliasArn(c, a.AliasName));
            w.W.WriteString("TargetKeyId", a.KeyId);
            w.Time("CreationDate", a.Created);
            w.Time("LastUpdatedDate", a.Updated);
            w.W.WriteEndObject();
        }

        w.W.WriteEndArray();
        return Paged(w, next);
    }

    private KmsResponse ScheduleKeyDeletion(KmsCaller c, KmsRequest r)
    {
        var key = _lifecycle.ScheduleDeletion(c, r.RequiredString("KeyId"), r.Int("PendingWindowInDays"));
        using var w = new KmsJsonWriter();
        w.String("KeyId", _resolver.Arn(key)).Time("DeletionDate", key.DeletionDate)
            .String("KeyState", key.State.ToString()).Number("PendingWindowInDays", key.PendingWindowDays ?? 30);
        return w.ToResponse();
    }

    private KmsResponse GetKeyRotationStatus(KmsCaller c, KmsRequest r)
    {
        var key = _lifecycle.GetRotationStatus(c, r.RequiredString("KeyId"));
        using var w = new KmsJsonWriter();
        w.Bool("KeyRotationEnabled", key.RotationEnabled).String("KeyId", _resolver.Arn(key));
        if (key.RotationEnabled)
        {
            w.Number("RotationPeriodInDays", key.RotationPeriodDays ?? TenantKeyLifecycle.DefaultRotationPeriodDays).Time("NextRotationDate", key.NextRotation);
        }

        var lastOnDemand = _lifecycle.Versions(key).LastOrDefault(v => v.RotationType == "ON_DEMAND");
        w.Time("OnDemandRotationStartDate", lastOnDemand?.Created);
        return w.ToResponse();
    }

    private KmsResponse ListKeyRotations(KmsCaller c, KmsRequest r)
    {
        var (key, rotations) = _lifecycle.ListRotations(c, r.RequiredString("KeyId"));
        var (page, next) = Page(rotations, r, v => v.Version.ToString("D10", System.Globalization.CultureInfo.InvariantCulture));
        using var w = new KmsJsonWriter();
        w.W.WriteStartArray("Rotations");
        foreach (var v in page)
        {
            w.W.WriteStartObject();
            w.W.WriteString("KeyId", _resolver.Arn(key));
            w.Time("RotationDate", v.Created);
            w.W.WriteString("RotationType", v.RotationType);
            w.W.WriteString("KeyMaterialId", v.MaterialId);
            w.W.WriteString("KeyMaterialState", v.Version == key.CurrentVersion ? "CURRENT" : "NON_CURRENT");
            w.W.WriteEndObject();
        }

        w.W.WriteEndArray();
        return Paged(w, next);
    }

    private KmsResponse GetParametersForImport(KmsCaller c, KmsRequest r)
    {
        var wrapping = r.RequiredString("WrappingAlgorithm") switch
        {
            "RSAES_OAEP_SHA_1" => ImportWrapping.RsaesOaepSha1,
            "RSAES_OAEP_SHA_256" => ImportWrapping.RsaesOaepSha256,
            "RSA_AES_KEY_WRAP_SHA_1" => ImportWrapping.RsaAesKeyWrapSha1,
            "RSA_AES_KEY_WRAP_SHA_256" => ImportWrapping.RsaAesKeyWrapSha256,
            _ => throw new KmsException(KmsErrorCode.UnsupportedOperation, "WrappingAlgorithm is not supported."),
        };
        var bits = r.RequiredString("WrappingKeySpec") switch
        {
            "RSA_2048" => 2048,
            "RSA_3072" => 3072,
            "RSA_4096" => 4096,
            _ => throw new KmsException(KmsErrorCode.UnsupportedOperation, "WrappingKeySpec is not supported."),
        };
        var p = _import.GetParametersForImport(c, r.RequiredString("KeyId"), wrapping, bits);
        using var w = new KmsJsonWriter();
        w.String("KeyId", _resolver.Arn(p.Key)).Blob("ImportToken", p.ImportToken).Blob("PublicKey", p.PublicKey).Time("ParametersValidTo", p.ValidTo);
        return w.ToResponse();
    }

    private KmsResponse ImportKeyMaterial(KmsCaller c, KmsRequest r)
    {
        var model = r.String("ExpirationModel");
        var validTo = r.Timestamp("ValidTo");
        if (model == "KEY_MATERIAL_EXPIRES" && validTo is null)
        {
            throw new KmsException(KmsErrorCode.Validation, "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.");
        }

        if (model is null or "KEY_MATERIAL_DOES_NOT_EXPIRE" && validTo is not null)
        {
            throw new KmsException(KmsErrorCode.Validation, "ValidTo is only allowed with ExpirationModel KEY_MATERIAL_EXPIRES.");
        }

        if (model is not (null or "KEY_MATERIAL_EXPIRES" or "KEY_MATERIAL_DOES_NOT_EXPIRE"))
        {
            throw new KmsException(KmsErrorCode.Validation, "Unknown ExpirationModel.");
        }

        if (r.String("ImportType") == "NEW_KEY_MATERIAL")
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation, "Importing new key material into an existing key is not supported.");
        }

        var key = _import.ImportKeyMaterial(c, r.RequiredString("KeyId"), r.RequiredBlob("ImportToken"), r.RequiredBlob("EncryptedKeyMaterial"), validTo);
        using var w = new KmsJsonWriter();
        w.String("KeyId", _resolver.Arn(key)).String("KeyMaterialId", CurrentMaterialId(key));
        return w.ToResponse();
    }

    private KmsResponse DeleteImportedKeyMaterial(KmsCaller c, KmsRequest r)
    {
        var key = _import.DeleteImportedKeyMaterial(c, r.RequiredString("KeyId"));
        using var w = new KmsJsonWriter();
        w.String("KeyId", _resolver.Arn(key));
        return w.ToResponse();
    }

    private KmsResponse Encrypt(KmsCaller c, KmsRequest r)
    {
        RequireSymmetricDefault(r);
        var plaintext = r.RequiredBlob("Plaintext");
        try
        {
            if (plaintext.Length is < 1 or > MaxPlaintextBytes)
            {
                throw new KmsException(KmsErrorCode.Validation, "Plaintext must be 1 to 4096 bytes.");
            }

            var (key, blob) = _crypto.Encrypt(c, r.RequiredString("KeyId"), plaintext, r.Map("EncryptionContext"));
            using var w = new KmsJsonWriter();
            w.Blob("CiphertextBlob", blob).String("KeyId", _resolver.Arn(key)).String("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
            return w.ToResponse();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private KmsResponse Decrypt(KmsCaller c, KmsRequest r)
    {
        RequireSymmetricDefault(r);
        var blob = CiphertextParameter(r, "CiphertextBlob");
        var (key, plaintext) = _crypto.Decrypt(c, blob, r.Map("EncryptionContext"), r.String("KeyId"));
        try
        {
            using var w = new KmsJsonWriter();
            w.String("KeyId", _resolver.Arn(key)).Blob("Plaintext", plaintext).String("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
            return w.ToResponse();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private KmsResponse ReEncrypt(KmsCaller c, KmsRequest r)
    {
        foreach (var name in new[] { "SourceEncryptionAlgorithm", "DestinationEncryptionAlgorithm" })
        {
            if (r.String(name) is not (null or "SYMMETRIC_DEFAULT"))
            {
                throw new KmsException(KmsErrorCode.InvalidKeyUsage, "Only SYMMETRIC_DEFAULT is supported.");
            }
        }

        var (source, destination, blob) = _crypto.ReEncrypt(
            c, CiphertextParameter(r, "CiphertextBlob"), r.Map("SourceEncryptionContext"), r.String("SourceKeyId"),
            r.RequiredString("DestinationKeyId"), r.Map("DestinationEncryptionContext"));
        using var w = new KmsJsonWriter();
        w.Blob("CiphertextBlob", blob).String("SourceKeyId", _resolver.Arn(source)).String("KeyId", _resolver.Arn(destination))
            .String("SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT").String("DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        return w.ToResponse();
    }

    private KmsResponse GenerateDataKey(KmsCaller c, KmsRequest r, bool withPlaintext)
    {
        var spec = r.String("KeySpec");
        var n = r.Int("NumberOfBytes");
        if ((spec is null) == (n is null))
        {
            throw new KmsException(KmsErrorCode.Validation, "Specify either KeySpec or NumberOfBytes.");
        }

        var bytes = n ?? spec switch
        {
            "AES_256" => 32,
            "AES_128" => 16,
            _ => throw new KmsException(KmsErrorCode.Validation, "KeySpec must be AES_256 or AES_128."),
        };
        var action = withPlaintext ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext";
        var (key, plaintext, blob) = _crypto.GenerateDataKey(c, r.RequiredString("KeyId"), bytes, r.Map("EncryptionContext"), action);
        try
        {
            using var w = new KmsJsonWriter();
            w.Blob("CiphertextBlob", blob);
            if (withPlaintext)
            {
                w.Blob("Plaintext", plaintext);
            }

            w.String("KeyId", _resolver.Arn(key));
            return w.ToResponse();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private KmsResponse GenerateRandom(KmsRequest r)
    {
        if (r.String("CustomKeyStoreId") is not null)
        {
            throw new KmsException(KmsErrorCode.UnsupportedOperation, "Custom key stores are not supported.");
        }

        var bytes = _crypto.GenerateRandom(r.Int("NumberOfBytes") ?? throw new KmsException(KmsErrorCode.Validation, "NumberOfBytes is required."));
        using var w = new KmsJsonWriter();
        w.Blob("Plaintext", bytes);
        return w.ToResponse();
    }

    private KmsResponse GetKeyPolicy(KmsCaller c, KmsRequest r)
    {
        var policy = _lifecycle.GetPolicy(c, r.RequiredString("KeyId"), r.String("PolicyName"));
        using var w = new KmsJsonWriter();
        w.String("Policy", policy).String("PolicyName", "default");
        return w.ToResponse();
    }

    private KmsResponse ListResourceTags(KmsCaller c, KmsRequest r)
    {
        var tags = _lifecycle.ListTags(c, r.RequiredString("KeyId"));
        var (page, next) = Page(tags, r, t => t.Key);
        using var w = new KmsJsonWriter();
        w.W.WriteStartArray("Tags");
        foreach (var (k, v) in page)
        {
            w.W.WriteStartObject();
            w.W.WriteString("TagKey", k);
            w.W.WriteString("TagValue", v);
            w.W.WriteEndObject();
        }

        w.W.WriteEndArray();
        return Paged(w, next);
    }

    private static byte[] CiphertextParameter(KmsRequest r, string name)
    {
        var blob = r.RequiredBlob(name);
        if (blob.Length is < 1 or > MaxCiphertextBytes)
        {
            throw new KmsException(KmsErrorCode.Validation, $"{name} must be 1 to 6144 bytes.");
        }

        return blob;
    }

    private static void RequireSymmetricDefault(KmsRequest r)
    {
        if (r.String("EncryptionAlgorithm") is not (null or "SYMMETRIC_DEFAULT"))
        {
            throw new KmsException(KmsErrorCode.InvalidKeyUsage, "Only SYMMETRIC_DEFAULT is supported.");
        }
    }

    private static KmsResponse Empty(Action action)
    {
        action();
        using var w = new KmsJsonWriter();
        return w.ToResponse();
    }

    private static KmsResponse Empty<T>(Func<T> action) => Empty(() => { action(); });

    private KmsResponse KeyIdOnly(TenantKeyRecord key)
    {
        using var w = new KmsJsonWriter();
        w.String("KeyId", _resolver.Arn(key));
        return w.ToResponse();
    }

    /// Marker = the sort key of the last item returned; Limit 1–1000 (default 100).
    private static (List<T> Page, string? NextMarker) Page<T>(List<T> items, KmsRequest r, Func<T, string> sortKey)
    {
        var limit = r.Int("Limit") ?? 100;
        if (limit is < 1 or > 1000)
        {
            throw new KmsException(KmsErrorCode.Validation, "Limit must be between 1 and 1000.");
        }

        var marker = r.String("Marker");
        var rest = marker is null ? items : [.. items.Where(i => string.CompareOrdinal(sortKey(i), marker) > 0)];
        if (rest.Count <= limit)
        {
            return (rest, null);
        }

        var page = rest.GetRange(0, limit);
        return (page, sortKey(page[^1]));
    }

    private static KmsResponse Paged(KmsJsonWriter w, string? nextMarker)
    {
        w.Bool("Truncated", nextMarker is not null).String("NextMarker", nextMarker);
        return w.ToResponse();
    }
}
