using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>A temporary directory for one test's local files, deleted on dispose.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "csr-client-" + Guid.NewGuid().ToString("N")[..12])).FullName;

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Writes random bytes to a file (creating its directory) and returns them.</summary>
    public byte[] WriteRandom(string relative, int lengthBytes)
    {
        var bytes = RandomNumberGenerator.GetBytes(lengthBytes);
        var full = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return bytes;
    }

    /// <summary>
    /// Streams a large random file to disk without holding it in memory. Returns its SHA-256 and
    /// the S3 ETag a multipart upload with <paramref name="partBytes"/> parts must produce.
    /// </summary>
    public (string Sha256, string MultipartETag) WriteRandomLarge(string relative, long lengthBytes, int partBytes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var partMd5s = new List<byte>();
        var buffer = new byte[partBytes];
        using (var file = File.Create(this[relative]))
        {
            for (long written = 0; written < lengthBytes; written += partBytes)
            {
                var n = (int)Math.Min(partBytes, lengthBytes - written);
                RandomNumberGenerator.Fill(buffer.AsSpan(0, n));
                file.Write(buffer, 0, n);
                sha.AppendData(buffer, 0, n);
                partMd5s.AddRange(MD5.HashData(buffer.AsSpan(0, n)));
            }
        }
        var parts = partMd5s.Count / 16;
        return (Convert.ToHexStringLower(sha.GetHashAndReset()), $"\"{Convert.ToHexStringLower(MD5.HashData(partMd5s.ToArray()))}-{parts}\"");
    }

    public static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
