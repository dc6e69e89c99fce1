using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// The gateway's TLS identity, generated on first start under DATA/tls: a private CA (its key is
/// discarded after signing, so it can issue nothing else) and a server certificate for localhost,
/// the loopback addresses and the listen address. <c>ca.pem</c> is what clients trust
/// (AWS_CA_BUNDLE). The server key file is 0600.
/// </summary>
internal static class TlsCertificates
{
    public static string CaPath(string dataDirectory) => Path.Combine(dataDirectory, "tls", "ca.pem");

    public static X509Certificate2 LoadOrCreate(string dataDirectory, IPAddress listen, TimeProvider clock)
    {
        var dir = Path.Combine(dataDirectory, "tls");
        var certPath = Path.Combine(dir, "server.crt");
        var keyPath = Path.Combine(dir, "server.key");
        if (!File.Exists(certPath) || !File.Exists(keyPath))
        {
            Create(dir, certPath, keyPath, listen, clock);
        }
        using var pem = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        // Kestrel on Linux wants a certificate whose key is not ephemeral.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static void Create(string dir, string certPath, string keyPath, IPAddress listen, TimeProvider clock)
    {
        Directory.CreateDirectory(dir);
        var now = clock.GetUtcNow();
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=CloudSecReq local CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        // Virtual-host style over TLS needs a wildcard two labels deep (clients refuse *.localhost).
        san.AddDnsName("s3.localhost");
        san.AddDnsName("*.s3.localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        if (!IPAddress.IsLoopback(listen) && !listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any))
        {
            san.AddIpAddress(listen);
        }
        san.AddDnsName(Environment.MachineName.ToLowerInvariant());
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var server = request.Create(ca, now.AddMinutes(-5), now.AddYears(2), serial);

        WritePrivate(keyPath, serverKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, server.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n");
        File.WriteAllText(CaPath(Path.GetDirectoryName(dir)!), ca.ExportCertificatePem() + "\n");
    }

    internal static void WritePrivate(string path, string text)
    {
        using var f = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var w = new StreamWriter(f);
        w.Write(text);
    }
}
