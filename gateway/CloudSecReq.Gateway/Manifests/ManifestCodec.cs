using System.Security.Cryptography;
using System.Text.Json;

namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// Encodes <see cref="ManifestRecord"/>s as log payloads: a 32-byte HMAC-SHA256 of the rest, then
/// the record as UTF-8 JSON (System.Text.Json, property names as in the C# records, as the metadata
/// database stores them). The MAC key is derived from the volume identity key (sealed by the HSM),
/// so a record forged or altered on a volume is refused by a rebuild, while copies move freely
/// between volumes. Thread-safe; dispose to wipe the key.
/// </summary>
internal sealed class ManifestCodec : IDisposable
{
    public const int MacBytes = 32;
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.General);
    private static readonly byte[] s_purpose = "csr manifest mac v1"u8.ToArray();
    private readonly byte[] _macKey;

    private ManifestCodec(byte[] macKey) => _macKey = macKey;

    /// <summary>A codec whose MAC key is derived from <paramref name="volumeIdentityKey"/> (not kept).</summary>
    public static ManifestCodec FromVolumeIdentityKey(ReadOnlySpan<byte> volumeIdentityKey) =>
        new(HMACSHA256.HashData(volumeIdentityKey, s_purpose));

    public byte[] Encode(ManifestRecord record)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(record, s_json);
        var payload = new byte[MacBytes + json.Length];
        json.CopyTo(payload, MacBytes);
        HMACSHA256.HashData(_macKey, json, payload.AsSpan(0, MacBytes));
        return payload;
    }

    /// <summary>
    /// The record in <paramref name="payload"/>, or null when its MAC does not verify, it is not
    /// JSON of a record, or its format is not one this version reads.
    /// </summary>
    public ManifestRecord? TryDecode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length <= MacBytes)
        {
            return null;
        }
        Span<byte> mac = stackalloc byte[MacBytes];
        HMACSHA256.HashData(_macKey, payload[MacBytes..], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, payload[..MacBytes]))
        {
            return null;
        }
        try
        {
            var record = JsonSerializer.Deserialize<ManifestRecord>(payload[MacBytes..], s_json);
            return record is { Format: ManifestRecord.CurrentFormat }
                && (record.Kind == ManifestRecord.ObjectKind ? record.Object is not null : record.Kind == ManifestRecord.CatalogKind && record.Catalog is not null)
                ? record
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_macKey);
}
