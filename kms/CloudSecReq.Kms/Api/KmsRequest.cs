using System.Text.Json;

namespace CloudSecReq.Kms.Api;

/// Typed reads of an AWS KMS JSON 1.1 request body. Missing required members → ValidationException,
/// members of the wrong JSON type or bad base64 → SerializationException.
internal sealed class KmsRequest(JsonElement root)
{
    private static readonly double s_minEpochSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly double s_maxEpochSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    public string? String(string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Serialization(name);
    }

    public string RequiredString(string name) =>
        String(name) ?? throw new KmsException(KmsErrorCode.Validation, $"1 validation error detected: Value null at '{Camel(name)}' failed to satisfy constraint: Member must not be null");

    public int? Int(string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw Serialization(name);
    }

    public bool? Bool(string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Serialization(name);
    }

    /// A timestamp: epoch seconds (number) as the AWS SDKs send it.
    public DateTimeOffset? Timestamp(string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // Outside DateTimeOffset's range (years 1-9999) FromUnixTimeMilliseconds throws: a malformed request, not a 500.
        return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d >= s_minEpochSeconds && d <= s_maxEpochSeconds
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(d * 1000))
            : throw Serialization(name);
    }

    public byte[]? Blob(string name)
    {
        var s = String(name);
        if (s is null)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(s);
        }
        catch (FormatException)
        {
            throw Serialization(name);
        }
    }

    public byte[] RequiredBlob(string name) =>
        Blob(name) ?? throw new KmsException(KmsErrorCode.Validation, $"1 validation error detected: Value null at '{Camel(name)}' failed to satisfy constraint: Member must not be null");

    public Dictionary<string, string>? Map(string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Object)
        {
            throw Serialization(name);
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
        {
            map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw Serialization(name);
        }

        return map;
    }

    /// AWS Tags: [{"TagKey": …, "TagValue": …}].
    public Dictionary<string, string> Tags(string name)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return tags;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Serialization(name);
        }

        foreach (var t in v.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Object)
            {
                throw Serialization(name);
            }

            var tag = new KmsRequest(t);
            tags[tag.RequiredString("TagKey")] = tag.String("TagValue") ?? string.Empty;
        }

        return tags;
    }

    public List<string> StringList(string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Serialization(name);
        }

        return [.. v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Serialization(name))];
    }

    private static KmsException Serialization(string name) =>
        new(KmsErrorCode.Serialization, $"Unexpected value for {name}.");

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
