using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// <c>csr config check</c>: reads <c>DATA/csr.json</c> strictly, where the gateway's own reading is lenient.
/// An unknown key (a typo the gateway would silently ignore), a wrong type, a missing required field
/// or a null is an error naming the key by its JSON path; then the values are checked as the gateway
/// checks them at start (storage classes, volumes). Never throws for a bad file: returns the problems.
/// </summary>
internal static class GatewayConfigCheck
{
    private static readonly JsonSerializerOptions s_strict = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The problems found in <paramref name="dataDirectory"/>'s csr.json; empty when it is valid.</summary>
    public static IReadOnlyList<string> Check(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, GatewayConfig.FileName);
        if (!File.Exists(path))
        {
            return [$"{path} does not exist."];
        }
        GatewayConfig config;
        try
        {
            config = JsonSerializer.Deserialize<GatewayConfig>(File.ReadAllBytes(path), s_strict) ?? throw new JsonException("The file holds null.");
        }
        catch (JsonException e)
        {
            return [Describe(e)];
        }
        var problems = new List<string>();
        try
        {
            config.CreateStorageClassCatalog();
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"StorageClasses: {e.Message}");
        }
        var accepted = new GatewayConfig { Volumes = [] };
        foreach (var (volume, i) in config.Volumes.Select((v, i) => (v, i)))
        {
            if (accepted.RefusalToAdd(volume, dataDirectory) is { } refusal)
            {
                problems.Add($"$.Volumes[{i}]: {refusal}");
            }
            accepted = accepted with { Volumes = [.. accepted.Volumes, volume] };
        }
        if (config.WriteQuorum < 0)
        {
            problems.Add($"$.WriteQuorum: {config.WriteQuorum} is negative.");
        }
        return problems;
    }

    // The JSON path names the key; the reader's message says what was wrong with it.
    private static string Describe(JsonException e)
    {
        var what = e.Message;
        var cut = what.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            what = what[..cut];
        }
        return e.Path is { Length: > 0 } key ? $"{key}: {what}" : what;
    }
}
