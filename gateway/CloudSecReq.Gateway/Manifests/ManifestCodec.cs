using System.Security.Cryptography;
using System.Text.Json;

namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// Encodes <see cref="ManifestRecord"/>s as log payloads: a 32-byte HMAC-SHA256 of the rest, then
/// the record as UTF-8 JSON (System.Text.Json, property names as in the C# records, as the metadata
/// database stores them), then, for a small object stored inline (format 2), a zero byte and the
/// object's sealed bytes. JSON never holds a raw zero byte (it escapes control characters), so the
/// first zero after the MAC ends the JSON. The MAC key is derived from the volume identity key
/// (sealed by the HSM), so a record forged or altered on a volume is refused by a rebuild, while
/// copies move freely between volumes. Thread-safe; dispose to wipe the key.
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

    /// <summary>
    /// The payload of <paramref name="record"/>; with <paramref name="inlineBytes"/> (a small object's
    /// sealed bytes, possibly empty) the record is written in <see cref="ManifestRecord.InlineFormat"/>.
    /// </summary>
    public byte[] Encode(ManifestRecord record, ReadOnlyMemory<byte>? inlineBytes = null)
    {
        if (inlineBytes is not null)
        {
            record = record with { Format = ManifestRecord.InlineFormat };
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(record, s_json);
        var tail = inlineBytes is { } bytes ? 1 + bytes.Length : 0;
        var payload = new byte[MacBytes + json.Length + tail];
        json.CopyTo(payload, MacBytes);
        if (inlineBytes is { } inline)
        {
            inline.Span.CopyTo(payload.AsSpan(MacBytes + json.Length + 1));
        }
        HMACSHA256.HashData(_macKey, payload.AsSpan(MacBytes), payload.AsSpan(0, MacBytes));
        return payload;
    }

    /// <summary>Whether <paramref name="payload"/>'s MAC verifies (compared in constant time); the JSON is not parsed.</summary>
    public bool Authenticates(ReadOnlySpan<byte> payload)
    {
        if (payload.Length <= MacBytes)
        {
            return false;
        }
        Span<byte> mac = stackalloc byte[MacBytes];
        HMACSHA256.HashData(_macKey, payload[MacBytes..], mac);
        return CryptographicOperations.FixedTimeEquals(mac, payload[..MacBytes]);
    }

    /// <summary>
    /// The inline bytes of a format 2 payload (a slice of <paramref name="payload"/>; check
    /// <see cref="Authenticates"/> first), or null when the payload carries none.
    /// </summary>
    public static ReadOnlyMemory<byte>? InlineBytes(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length <= MacBytes)
        {
            return null;
        }
        var end = payload.Span[MacBytes..].IndexOf((byte)0);
        // Not "? null :": the null literal would convert to an empty ReadOnlyMemory through byte[].
        return end < 0 ? (ReadOnlyMemory<byte>?)null : payload[(MacBytes + end + 1)..];
    }

    /// <summary>
    /// The record in <paramref name="payload"/>, or null when its MAC does not verify, it is not
    /// JSON of a record, or its format is not one this version reads.
    /// </summary>
    public ManifestRecord? TryDecode(ReadOnlySpan<byte> payload)
    {
        if (!Authenticates(payload))
        {
            return null;
        }
        var json = payload[MacBytes..];
        var end = json.IndexOf((byte)0);
        try
        {
            var record = JsonSerializer.Deserialize<ManifestRecord>(end < 0 ? json : json[..end], s_json);
            return record is not null
                && record.Format == (end < 0 ? ManifestRecord.CurrentFormat : ManifestRecord.InlineFormat)
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
