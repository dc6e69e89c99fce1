namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// <c>DATA/certificates/</c>: each certificate as <c>ID.json</c> with its detached signature
/// <c>ID.json.sig</c>, and the platform public key <c>platform-public-key.pem</c> that verifies them.
/// Files are written durably (temporary file, fsync, rename) and never changed afterwards.
/// </summary>
internal sealed class CertificateStore(string dataDirectory)
{
    public const string DirectoryName = "certificates";
    public const string PublicKeyFileName = "platform-public-key.pem";

    public string Directory => Path.Combine(dataDirectory, DirectoryName);

    public string PublicKeyPath => Path.Combine(Directory, PublicKeyFileName);

    /// <summary>Writes the certificate, its signature and the public key; returns the certificate's path.</summary>
    public string Save(string certificateId, byte[] json, byte[] signature, string publicKeyPem)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, certificateId + ".json");
        Write(path, json);
        Write(path + CertificateSignature.Extension, signature);
        Write(PublicKeyPath, System.Text.Encoding.ASCII.GetBytes(publicKeyPem));
        Storage.Fsync.Directory(Directory);
        return path;
    }

    /// <summary>The certificates' paths, oldest first (ids start with the UTC time of issue).</summary>
    public IReadOnlyList<string> List() => System.IO.Directory.Exists(Directory)
        ? [.. System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal)]
        : [];

    private static void Write(string path, byte[] bytes)
    {
        var temporary = path + ".new";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
