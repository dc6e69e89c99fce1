using System.Text.Json;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// <c>DATA/heal-status.json</c>: the healer's and scrubber's <see cref="HealStatus"/>, written by the
/// running gateway (atomically: a temporary file renamed over the old one, so a reader never sees half
/// a file) and read by <c>csr heal status</c>. It holds no object data and no keys: bucket and object
/// names appear only as the object being healed and in the last error.
/// </summary>
internal static class HealStatusFile
{
    public const string FileName = "heal-status.json";
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>Replaces the file at <paramref name="path"/> with <paramref name="status"/>. Throws <see cref="IOException"/> when it cannot.</summary>
    public static async Task WriteAsync(string path, HealStatus status, CancellationToken ct)
    {
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            await JsonSerializer.SerializeAsync(file, status, s_json, ct);
        }
        // Not fsync'd: the status is advisory and rewritten every second while there is work.
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The status last written, or null when there is none (the gateway never ran a healer here).</summary>
    /// <exception cref="IOException">The file exists but cannot be read.</exception>
    /// <exception cref="JsonException">The file is not a status.</exception>
    public static HealStatus? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<HealStatus>(File.ReadAllText(path), s_json);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
