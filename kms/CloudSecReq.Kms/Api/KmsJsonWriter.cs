using System.Buffers;
using System.Text.Json;
using CloudSecReq.Kms.Keys;

namespace CloudSecReq.Kms.Api;

/// The one JSON writer for KMS responses and errors (System.Text.Json, AWS member names, blobs base64,
/// timestamps as epoch seconds).
internal sealed class KmsJsonWriter : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public KmsJsonWriter()
    {
        W = new Utf8JsonWriter(_buffer);
        W.WriteStartObject();
    }

    public Utf8JsonWriter W { get; }

    public static KmsResponse Error(KmsException e)
    {
        using var w = new KmsJsonWriter();
        w.W.WriteString("__type", e.AwsType);
        w.W.WriteString("message", e.Message);
        return w.ToResponse(e.StatusCode);
    }

    public KmsJsonWriter String(string name, string? value)
    {
        if (value is not null)
        {
            W.WriteString(name, value);
        }

        return this;
    }

    public KmsJsonWriter Blob(string name, ReadOnlySpan<byte> value)
    {
        W.WriteBase64String(name, value);
        return this;
    }

    public KmsJsonWriter Bool(string name, bool value)
    {
        W.WriteBoolean(name, value);
        return this;
    }

    public KmsJsonWriter Number(string name, long value)
    {
        W.WriteNumber(name, value);
        return this;
    }

    public KmsJsonWriter Time(string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            W.WriteNumber(name, Math.Round(v.ToUnixTimeMilliseconds() / 1000.0, 3));
        }

        return this;
    }

    public void KeyMetadata(TenantKeyRecord key, string arn, string? currentMaterialId)
    {
        W.WriteStartObject("KeyMetadata");
        W.WriteString("AWSAccountId", key.AccountId);
        W.WriteString("KeyId", key.KeyId);
        W.WriteString("Arn", arn);
        Time("CreationDate", key.Created);
        W.WriteBoolean("Enabled", key.State == KmsKeyState.Enabled);
        W.WriteString("Description", key.Description);
        W.WriteString("KeyUsage", "ENCRYPT_DECRYPT");
        W.WriteString("KeyState", key.State.ToString());
        Time("DeletionDate", key.DeletionDate);
        if (key.PendingWindowDays is { } days && key.State == KmsKeyState.PendingDeletion)
        {
            W.WriteNumber("PendingDeletionWindowInDays", days);
        }

        W.WriteString("Origin", key.Origin == KeyOrigin.External ? "EXTERNAL" : "AWS_KMS");
        if (key.Origin == KeyOrigin.External && key.HasImportedMaterial)
        {
            W.WriteString("ExpirationModel", key.ValidTo is null ? "KEY_MATERIAL_DOES_NOT_EXPIRE" : "KEY_MATERIAL_EXPIRES");
            Time("ValidTo", key.ValidTo);
        }

        W.WriteString("KeyManager", key.AwsManaged ? "AWS" : "CUSTOMER");
        W.WriteString("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT");
        W.WriteString("KeySpec", "SYMMETRIC_DEFAULT");
        W.WriteStartArray("EncryptionAlgorithms");
        W.WriteStringValue("SYMMETRIC_DEFAULT");
        W.WriteEndArray();
        W.WriteBoolean("MultiRegion", false);
        String("CurrentKeyMaterialId", currentMaterialId);
        W.WriteEndObject();
    }

    public KmsResponse ToResponse(int status = 200)
    {
        W.WriteEndObject();
        W.Flush();
        return new KmsResponse(status, _buffer.WrittenSpan.ToArray());
    }

    public void Dispose() => W.Dispose();
}
