using System.Security.Cryptography;
using System.Text;

namespace CloudSecReq.Gateway.Tenants;

/// <summary>
/// Interim protection of secret access keys with AES-256-GCM under a platform key kept in a 0600
/// file in the data directory. To be replaced by the HSM-held platform key (issue #4).
/// Sealed form: version byte 1 ‖ nonce(12) ‖ tag(16) ‖ ciphertext.
/// </summary>
internal sealed class FileSecretProtector : ISecretProtector
{
    private const byte Version = 1;
    private readonly byte[] _key;

    private FileSecretProtector(byte[] key) => _key = key;

    /// <summary>Loads the key file, creating it (0600) with a fresh random key if it does not exist.</summary>
    public static FileSecretProtector OpenOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var fresh = RandomNumberGenerator.GetBytes(32);
            using (var f = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                f.Write(fresh);
                f.Flush(flushToDisk: true);
            }
            CryptographicOperations.ZeroMemory(fresh);
        }
        var key = File.ReadAllBytes(path);
        if (key.Length != 32)
        {
            throw new InvalidDataException($"The platform key file {path} is damaged (wrong length).");
        }
        return new FileSecretProtector(key);
    }

    public byte[] Protect(ReadOnlySpan<byte> secret, string label)
    {
        var output = new byte[1 + 12 + 16 + secret.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(_key, 16);
        gcm.Encrypt(nonce, secret, output.AsSpan(29), output.AsSpan(13, 16), Encoding.UTF8.GetBytes(label));
        return output;
    }

    public byte[] Unprotect(ReadOnlySpan<byte> sealedSecret, string label)
    {
        if (sealedSecret.Length < 29 || sealedSecret[0] != Version)
        {
            throw new CryptographicException("Sealed secret has an unknown format.");
        }
        var plain = new byte[sealedSecret.Length - 29];
        using var gcm = new AesGcm(_key, 16);
        gcm.Decrypt(sealedSecret.Slice(1, 12), sealedSecret[29..], sealedSecret.Slice(13, 16), plain, Encoding.UTF8.GetBytes(label));
        return plain;
    }
}
