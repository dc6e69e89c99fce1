using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudSecReq.Gateway.Admin;

/// <summary>
/// The admin API's JSON: camelCase, and strict on input: an unknown field, a missing required one,
/// a null where none is allowed or a wrong type is refused (<see cref="AdminErrorCode.MalformedJson"/>), never ignored.
/// </summary>
internal static class AdminJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Reads a request body as <typeparamref name="T"/>; throws <see cref="AdminException"/> (MalformedJson) with what is wrong.</summary>
    public static T Read<T>(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, Options) ?? throw new AdminException(AdminErrorCode.MalformedJson, "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            // JsonException's message names the field (a JSON path) and what was wrong; it holds no secret (bodies carry none).
            throw new AdminException(AdminErrorCode.MalformedJson, "The request body is not valid JSON for this operation: " + e.Message);
        }
    }
}
