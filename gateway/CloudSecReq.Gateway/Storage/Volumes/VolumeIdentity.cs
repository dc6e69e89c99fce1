using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CloudSecReq.Gateway.Storage.Volumes;

/// <summary>
/// The identity file each volume carries (<c>.csr-volume</c>, JSON): the volume id, its labels, when
/// the identity was written, and an HMAC-SHA256 over all of them under the gateway's volume identity
/// key (32 bytes; <c>Hosting/DataDirectory.cs</c> keeps it sealed by the HSM's platform key). A
/// swapped, re-formatted or foreign disk, or an edited identity, no longer verifies, and the volume is
/// fenced instead of used (<see cref="Check"/>).
/// </summary>
/// <param name="Mac">Base64 HMAC-SHA256 of <see cref="MacInput"/>; null only in files written before identities were signed.</param>
internal sealed record VolumeIdentity(string VolumeId, string Site, string Rack, string Node, DateTimeOffset CreatedAt, string? Mac = null)
{
    /// <summary>Length of the volume identity key.</summary>
    public const int KeyBytes = 32;

    public const string FileName = ".csr-volume";

    private static readonly byte[] s_domain = "csr-volume-identity:v1"u8.ToArray();

    /// <summary>A signed identity for <paramref name="config"/>'s id and labels.</summary>
    public static VolumeIdentity Create(VolumeConfig config, DateTimeOffset createdAt, ReadOnlySpan<byte> identityKey)
    {
        var unsigned = new VolumeIdentity(config.Id, config.Site, config.Rack, config.Node, createdAt);
        return unsigned with { Mac = Convert.ToBase64String(unsigned.ComputeMac(identityKey)) };
    }

    /// <summary>Whether <see cref="Mac"/> is present and matches (constant-time compare).</summary>
    public bool MacVerifies(ReadOnlySpan<byte> identityKey)
    {
        if (Mac is null)
        {
            return false;
        }
        Span<byte> stored = stackalloc byte[HMACSHA256.HashSizeInBytes + 3];
        return Convert.TryFromBase64String(Mac, stored, out var n)
            && n == HMACSHA256.HashSizeInBytes
            && CryptographicOperations.FixedTimeEquals(stored[..n], ComputeMac(identityKey));
    }

    /// <summary>
    /// Checks (and on first use writes) the identity of the volume at <paramref name="config"/>'s path.
    /// Returns null when the volume may be used, else why it is fenced. It never writes to a volume it
    /// fences; it writes only a missing identity on a volume without blobs, and, when
    /// <paramref name="signUnsigned"/> is set (the first start after the identity key was created), the
    /// MAC into an unsigned identity that already names this volume with these labels.
    /// Throws <see cref="IOException"/> when the identity cannot be written.
    /// </summary>
    public static string? Check(VolumeConfig config, ReadOnlySpan<byte> identityKey, DateTimeOffset now, bool signUnsigned)
    {
        var path = Path.Combine(config.Path, FileName);
        if (!File.Exists(path))
        {
            var blobs = Path.Combine(config.Path, "blobs");
            if (Directory.Exists(blobs) && Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Any())
            {
                return $"the identity file {FileName} is missing but the volume holds blobs (a re-formatted or foreign disk?)";
            }
            Write(config.Path, Create(config, now, identityKey));
            return null;
        }
        VolumeIdentity? identity;
        try
        {
            identity = JsonSerializer.Deserialize<VolumeIdentity>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            identity = null;
        }
        if (identity is null || identity.VolumeId is null || identity.Site is null || identity.Rack is null || identity.Node is null)
        {
            return $"the identity file {FileName} is unreadable";
        }
        if (identity.Mac is null)
        {
            if (!signUnsigned)
            {
                return $"the identity file {FileName} carries no MAC (written outside this gateway?)";
            }
            if (identity.VolumeId == config.Id && identity.SameLabels(config))
            {
                Write(config.Path, Create(config, identity.CreatedAt, identityKey));
                return null;
            }
        }
        else if (!identity.MacVerifies(identityKey))
        {
            return "the identity MAC does not verify (the identity was edited, or written by another gateway)";
        }
        if (identity.VolumeId != config.Id)
        {
            return $"the identity names volume '{identity.VolumeId}' (a swapped disk?)";
        }
        if (!identity.SameLabels(config))
        {
            return $"the identity's labels {identity.Site}/{identity.Rack}/{identity.Node} differ from csr.json's {config.Site}/{config.Rack}/{config.Node} (a moved disk, or relabelled: readmit it)";
        }
        return null;
    }

    /// <summary>
    /// The identity file in <paramref name="volumePath"/> as stored, unverified (for reports; use
    /// <see cref="Check"/> to decide whether the volume may be used), or null when it is absent or unreadable.
    /// </summary>
    public static VolumeIdentity? TryRead(string volumePath)
    {
        try
        {
            return JsonSerializer.Deserialize<VolumeIdentity>(File.ReadAllText(Path.Combine(volumePath, FileName)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes the identity file durably (temporary file, fsync, rename, fsync of the directory).</summary>
    public static void Write(string volumePath, VolumeIdentity identity)
    {
        Directory.CreateDirectory(volumePath);
        var path = Path.Combine(volumePath, FileName);
        var temporary = path + ".new";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(JsonSerializer.SerializeToUtf8Bytes(identity));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        Fsync.Directory(volumePath);
    }

    private bool SameLabels(VolumeConfig config) => Site == config.Site && Rack == config.Rack && Node == config.Node;

    // Domain ‖ each text field length-prefixed ‖ created time in UTC ticks: no two identities share an input.
    private byte[] MacInput()
    {
        var buffer = new List<byte>(s_domain);
        var number = new byte[8];
        foreach (var field in new[] { VolumeId, Site, Rack, Node })
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32BigEndian(number, bytes.Length);
            buffer.AddRange(number.AsSpan(0, 4));
            buffer.AddRange(bytes);
        }
        BinaryPrimitives.WriteInt64BigEndian(number, CreatedAt.UtcTicks);
        buffer.AddRange(number);
        return [.. buffer];
    }

    private byte[] ComputeMac(ReadOnlySpan<byte> identityKey)
    {
        if (identityKey.Length != KeyBytes)
        {
            throw new ArgumentException($"The volume identity key is {KeyBytes} bytes.", nameof(identityKey));
        }
        return HMACSHA256.HashData(identityKey, MacInput());
    }
}
