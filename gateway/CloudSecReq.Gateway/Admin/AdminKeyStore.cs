using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudSecReq.Kms.Platform;

namespace CloudSecReq.Gateway.Admin;

/// <summary>
/// The admin credential store, apart from the tenants' access keys: <c>DATA/keys/admin-keys.json</c>
/// (0600), each secret sealed with AES-GCM inside the HSM under the platform key, the access key id
/// bound as associated data (as users' secrets are, <c>Tenants/HsmSecretProtector</c>). A tenant's
/// access key is never found here, so tenant credentials cannot sign admin requests. The file is read
/// on each lookup (the signing key cache keeps lookups rare), so a key added by <c>csr admin-key
/// create</c> while the gateway runs is usable at once. Writes replace the file atomically.
/// Thread-safe within a process; a process that writes holds <see cref="s_write"/>.
/// </summary>
internal sealed class AdminKeyStore(string dataDirectory, PlatformSecrets secrets, TimeProvider clock)
{
    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static readonly Lock s_write = new();
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public string Path => PathIn(dataDirectory);

    public static string PathIn(string dataDirectory) => System.IO.Path.Combine(dataDirectory, "keys", "admin-keys.json");

    /// <summary>Every admin key (sealed secrets), in creation order; empty when the file does not exist yet.</summary>
    public IReadOnlyList<AdminKey> List()
    {
        if (!File.Exists(Path))
        {
            return [];
        }
        return JsonSerializer.Deserialize<List<AdminKey>>(File.ReadAllBytes(Path), s_json)
            ?? throw new InvalidOperationException($"{Path} does not hold admin keys.");
    }

    /// <summary>Creates an admin key and returns it with its secret (shown once, never stored in clear).</summary>
    public AdminCredentials Create(string name)
    {
        var accessKeyId = "CSRADM" + RandomNumberGenerator.GetString(Base32, 14);
        var secretBytes = RandomNumberGenerator.GetBytes(30);
        var secret = Convert.ToBase64String(secretBytes);
        CryptographicOperations.ZeroMemory(secretBytes);
        var secretAscii = Encoding.ASCII.GetBytes(secret);
        var sealedSecret = secrets.Protect(secretAscii, Label(accessKeyId));
        CryptographicOperations.ZeroMemory(secretAscii);
        lock (s_write)
        {
            var keys = List().ToList();
            keys.Add(new AdminKey(accessKeyId, name, sealedSecret, true, clock.GetUtcNow()));
            Save(keys);
        }
        return new AdminCredentials(name, accessKeyId, secret);
    }

    /// <summary>
    /// The principal and unsealed secret of an active admin key, or null. The caller zeroes the secret.
    /// Throws the KMS's KeyUnavailable when the HSM cannot be reached: fail closed.
    /// </summary>
    public Task<(AdminPrincipal Principal, byte[] Secret)?> ResolveAsync(string accessKeyId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var key = List().FirstOrDefault(k => k.AccessKeyId == accessKeyId);
        if (key is null || !key.Active)
        {
            return Task.FromResult<(AdminPrincipal, byte[])?>(null);
        }
        return Task.FromResult<(AdminPrincipal, byte[])?>((new AdminPrincipal(key.AccessKeyId, key.Name), secrets.Unprotect(key.SealedSecret, Label(accessKeyId))));
    }

    private static string Label(string accessKeyId) => "admin-secret-access-key:" + accessKeyId;

    private void Save(List<AdminKey> keys)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = Path + "." + Guid.NewGuid().ToString("N") + ".new";
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            file.Write(JsonSerializer.SerializeToUtf8Bytes(keys, s_json));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
        Storage.Fsync.Directory(System.IO.Path.GetDirectoryName(Path)!);
    }
}
