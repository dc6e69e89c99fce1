using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Sanitisation;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Cli;

/// <summary>
/// <c>csr volume wipe</c> and <c>csr certificate public-key|list|verify</c> (docs/sanitisation.md). The
/// wipe runs offline: it takes the serve lock, so it refuses while a gateway serves the data directory.
/// </summary>
internal static class SanitisationCommands
{
    /// <summary>Adds <c>wipe</c> to the <c>volume</c> command and returns it.</summary>
    public static Command WithWipe(Command volume)
    {
        var id = new Argument<string>("id") { Description = "Volume id (as in csr.json)" };
        var method = new Option<string>("--method") { Description = "What each pass writes: random (default) or zeros", DefaultValueFactory = _ => "random" };
        method.AcceptOnlyFromAmong("random", "zeros");
        var passes = new Option<int>("--passes") { Description = "Overwrite passes (NIST SP 800-88 Clear: one is enough)", DefaultValueFactory = _ => 1 };
        var verify = new Option<string>("--verify") { Description = "Verification of the last pass: full (read every byte back) or sample:N (N random 64 KiB regions)", DefaultValueFactory = _ => "full" };
        var device = new Option<string?>("--device") { Description = "The block device that holds the volume's file system (default: detected from the mount at the volume's path)" };
        var operatorName = new Option<string?>("--operator") { Description = "Who performs the wipe, for the certificate (default: the OS user)" };
        var wipe = new Command("wipe", "Overwrite every byte a volume held (the raw device when the volume is a whole file system on a block device, else its files and the free space of its file system), verify, retire the volume and issue a signed sanitisation certificate. Offline: stop the gateway first. Refuses while the metadata references data on the volume.")
        {
            id, method, passes, verify, device, operatorName,
        };
        wipe.SetAction(async (parse, ct) =>
        {
            var verification = WipeVerification.Parse(parse.GetValue(verify)!);
            if (verification is null || parse.GetValue(passes) is < 1 or > 35)
            {
                Console.Error.WriteLine("csr: --verify must be full or sample:N (N ≥ 1), and --passes 1 to 35.");
                return 2;
            }
            var options = new WipeOptions(parse.GetValue(method) == "zeros" ? WipeMethod.Zeros : WipeMethod.Random, parse.GetValue(passes), verification);
            var command = "csr " + string.Join(' ', parse.Tokens.Select(t => t.Value));
            return await RunOfflineAsync(parse, data => WipeAsync(data, parse.GetValue(id)!, options, parse.GetValue(device), parse.GetValue(operatorName), command, ct), ct);
        });
        volume.Subcommands.Add(wipe);
        return volume;
    }

    public static Command Certificate()
    {
        var publicKey = new Command("public-key", "Print the platform public key (PEM) that verifies certificates, as published with them in DATA/certificates/");
        publicKey.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            await using var d = await DataDirectory.OpenAsync(data, TimeProvider.System, createVolumes: false, initialise: false, ct);
            Console.Write(CertificateSignature.PublicKeyPem(d.Kms.Signer));
        }));

        var list = new Command("list", "List the certificates in DATA/certificates/");
        list.SetAction((parse, _) => RunAsync(parse, data =>
        {
            Console.WriteLine($"{"ISSUED",-21} {"VOLUME",-10} {"SCOPE",-21} {"VERIFIED",-9} FILE");
            foreach (var path in new CertificateStore(data).List())
            {
                var c = SanitisationCertificate.Parse(File.ReadAllBytes(path));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.IssuedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z {c.Volume.Id,-10} {c.Sanitisation.Scope,-21} {c.Verification.Result,-9} {path}"));
            }
            return Task.CompletedTask;
        }));

        var file = new Argument<string>("file") { Description = "The certificate (JSON)" };
        var signature = new Option<string?>("--signature") { Description = "The detached DER signature (default: FILE.sig)" };
        var pem = new Option<string?>("--public-key") { Description = "The platform public key, PEM (default: platform-public-key.pem beside FILE)" };
        var verify = new Command("verify", "Verify a certificate's signature offline with the platform public key: exit 0 when valid") { file, signature, pem };
        verify.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            var sigPath = parse.GetValue(signature) ?? path + CertificateSignature.Extension;
            var pemPath = parse.GetValue(pem) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, CertificateStore.PublicKeyFileName);
            try
            {
                var json = File.ReadAllBytes(path);
                var spki = CertificateSignature.ReadPublicKeyPem(File.ReadAllText(pemPath));
                if (!CertificateSignature.Verify(json, File.ReadAllBytes(sigPath), spki))
                {
                    Console.Error.WriteLine($"csr: INVALID: the signature {sigPath} does not verify {path} under the public key {pemPath}: the certificate was changed, or signed by another key.");
                    return 1;
                }
                var fingerprint = CertificateSignature.Fingerprint(spki);
                var certificate = SanitisationCertificate.Parse(json);
                if (certificate.Signature.PublicKeySha256 != fingerprint)
                {
                    Console.Error.WriteLine($"csr: INVALID: the certificate names public key {certificate.Signature.PublicKeySha256}, but {pemPath} is {fingerprint}.");
                    return 1;
                }
                Console.WriteLine($"valid: {certificate.CertificateId} (volume {certificate.Volume.Id}, {certificate.Sanitisation.Level} by {certificate.Sanitisation.Technique}, verification {certificate.Verification.Result}) signed by platform key sha256:{fingerprint}");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or FormatException or JsonException or System.Security.Cryptography.CryptographicException)
            {
                Console.Error.WriteLine($"csr: INVALID: {e.Message}");
                return 1;
            }
        });
        return new Command("certificate", "Sanitisation certificates: the platform public key, the list, offline verification") { publicKey, list, verify };
    }

    private static async Task WipeAsync(string dataPath, string volumeId, WipeOptions options, string? devicePath, string? operatorName, string command, CancellationToken ct)
    {
        var clock = TimeProvider.System;
        await using var data = await DataDirectory.OpenAsync(dataPath, clock, createVolumes: false, initialise: false, ct);
        var configured = data.Volumes.FirstOrDefault(v => v.Id == volumeId);
        var retired = data.Config.RetiredVolumes.FirstOrDefault(v => v.Id == volumeId);
        if (configured is null && retired is null)
        {
            throw new ArgumentException($"No volume '{volumeId}' is configured in {GatewayConfig.FileName}.");
        }
        if (retired?.CertificateId is { } done)
        {
            throw new InvalidOperationException($"Volume {volumeId} was wiped already: certificate {done} (csr certificate list).");
        }
        var path = configured?.Config.Path ?? Path.GetFullPath(Path.Combine(dataPath, retired!.Path));
        var (site, rack, node) = configured is { } c ? (c.Config.Site, c.Config.Rack, c.Config.Node) : (retired!.Site, retired.Rack, retired.Node);
        if (configured is { } v && !v.IsUsable)
        {
            throw new InvalidOperationException($"Volume {volumeId} is {v.StateText}: its identity must verify before it is wiped, so that the wipe hits the right disk.");
        }

        var references = await VolumeReferences.CountAsync(data.Store, volumeId, ct);
        if (references.HoldsLiveData)
        {
            throw new InvalidOperationException($"Volume {volumeId} still holds live data: {references.Objects} object(s) with {references.Pieces} shard(s), inline or manifest copies on it, " +
                $"and {references.UploadParts} part(s) of open multipart uploads. Nothing was changed. Move the data away first (drain, issue 13) and run the wipe again.");
        }

        var mounted = Directory.Exists(path) ? BlockDevice.MountedAt(path) : null;
        var device = mounted;
        if (devicePath is not null)
        {
            device = BlockDevice.AtPath(devicePath) ?? throw new ArgumentException($"{devicePath} is not a block device.");
            if (mounted is not null && mounted.MajorMinor != device.MajorMinor)
            {
                throw new ArgumentException($"Volume {volumeId} at {path} is on {mounted.DevicePath}, not on {devicePath}.");
            }
            if (mounted is null && (retired is null || BlockDevice.Mounts().Any(m => m.MajorMinor == device.MajorMinor)))
            {
                throw new ArgumentException($"{devicePath} is not mounted at the volume's path {path} (with its root), so the volume's identity cannot be checked on it: mount it there, or leave out --device to wipe the volume's files and free space.");
            }
        }
        if (device is not null && BlockDevice.Mounts().Where(m => m.MajorMinor == device.MajorMinor && m.MountPoint != path).Select(m => m.MountPoint).ToList() is { Count: > 0 } others)
        {
            throw new InvalidOperationException($"{device.DevicePath} is also mounted at {string.Join(", ", others)}: unmount those first.");
        }
        var identity = VolumeIdentity.TryRead(path);

        // From here on the volume is out of service: nothing writes it, even if the wipe fails half-way.
        GatewayConfig.RetireVolume(dataPath, volumeId, clock.GetUtcNow());
        Console.Error.WriteLine($"csr: volume {volumeId} retired from {GatewayConfig.FileName}; wiping {(device is null ? $"its files and the free space under {path}" : $"{device.DevicePath} ({device.SizeBytes} bytes) end to end")}");
        var wiper = new VolumeWiper(options, clock, Console.Error);
        WipeResult result;
        if (device is not null)
        {
            if (mounted is not null)
            {
                BlockDevice.Unmount(path);
            }
            result = wiper.WipeDevice(device, ct);
        }
        else
        {
            result = wiper.WipeFilesAndFreeSpace(path, ct);
        }
        if (!result.Verified)
        {
            throw new IOException($"Verification FAILED: {result.Mismatches} of {result.BytesVerified} bytes read back differ from what the last pass wrote. No certificate was issued; volume {volumeId} stays retired. Check the device and run the wipe again.");
        }
        await data.Store.ForgetGarbageAsync(references.ReleasedShardFiles, ct);
        await data.Store.ForgetManifestGarbageAsync(references.ReleasedManifestCopies, ct);

        var fileSystemMount = device is null ? BlockDevice.Mounts().Where(m => path == m.MountPoint || path.StartsWith(m.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal)).MaxBy(m => m.MountPoint.Length) : null;
        var spki = data.Kms.Signer.ExportSubjectPublicKeyInfo();
        var issued = clock.GetUtcNow();
        var certificateId = string.Create(CultureInfo.InvariantCulture, $"{issued.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{volumeId}-wipe");
        var certificate = new SanitisationCertificate(
            SanitisationCertificate.FormatV1,
            certificateId,
            issued,
            "NIST SP 800-88 Rev. 1, Guidelines for Media Sanitization (section 4.8, appendix G)",
            new(volumeId, site, rack, node, path, identity?.CreatedAt),
            device is not null
                ? new("block-device", device.DevicePath, device.Model, device.Serial, device.SizeBytes, device.BackingFile, mounted?.FileSystem)
                : new("file-system", fileSystemMount?.Source, null, null, null, null, fileSystemMount?.FileSystem),
            new("Clear", "overwrite", options.Method == WipeMethod.Zeros ? "zeros" : "random",
                options.Method == WipeMethod.Zeros ? "0x00 bytes" : "AES-256-CTR keystream under a fresh random key per pass, held only in memory",
                options.Passes, result.Scope, result.BytesPerPass, result.FilesOverwritten, result.FileBytes, result.FreeSpaceBytes, result.StartedAt, result.EndedAt),
            new(options.Verification.Full ? "full read-back" : "random sample read-back",
                options.Verification.Full ? null : options.Verification.Samples, options.Verification.Full ? null : WipeVerification.SampleRegionBytes,
                result.BytesVerified, result.Mismatches, "passed"),
            new("csr (CloudSecReq)", typeof(SanitisationCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown", command),
            new(operatorName ?? Environment.UserName, Environment.UserName, Environment.MachineName),
            new("no live data at wipe time; previously drained or never used", references.Objects, references.UploadParts,
                references.ReleasedShardFiles.Count, references.ReleasedManifestCopies.Count, [], null),
            new(CertificateSignature.Algorithm, certificateId + ".json" + CertificateSignature.Extension, CertificateSignature.Encoding,
                CertificateSignature.Fingerprint(spki), CertificateStore.PublicKeyFileName));
        var json = certificate.ToCanonicalJson();
        var saved = new CertificateStore(dataPath).Save(certificateId, json, CertificateSignature.Sign(data.Kms.Signer, json), CertificateSignature.PublicKeyPem(data.Kms.Signer));
        GatewayConfig.RetireVolume(dataPath, volumeId, issued, r => r with { WipedAt = result.EndedAt, CertificateId = certificateId });
        Console.WriteLine($"volume {volumeId} wiped ({result.Scope}, {options.Passes} pass(es) of {certificate.Sanitisation.Pattern}, {result.BytesPerPass} bytes each; verification {certificate.Verification.Method}: {result.BytesVerified} bytes, passed) and retired");
        Console.WriteLine($"certificate: {saved}");
        Console.WriteLine($"verify:      csr certificate verify {saved}");
        Console.WriteLine($"             openssl dgst -sha256 -verify {Path.Combine(Path.GetDirectoryName(saved)!, CertificateStore.PublicKeyFileName)} -signature {saved}{CertificateSignature.Extension} {saved}");
    }

    private static async Task<int> RunAsync(ParseResult parse, Func<string, Task> work)
    {
        var data = parse.GetValue(CsrCommandLine.Data)!;
        if (DataDirectory.NotADataDirectory(data) is { } refusal)
        {
            Console.Error.WriteLine($"csr: {refusal}");
            return 1;
        }
        try
        {
            await work(Path.GetFullPath(data));
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException or JsonException or Kms.Api.KmsException)
        {
            Console.Error.WriteLine($"csr: {e.Message}");
            return 1;
        }
    }

    // The wipe writes volumes: only with the serve lock, which a running gateway holds.
    private static Task<int> RunOfflineAsync(ParseResult parse, Func<string, Task> work, CancellationToken ct) => RunAsync(parse, async data =>
    {
        using var serveLock = ServeLock.TryAcquire(data)
            ?? throw new InvalidOperationException($"A gateway is serving {data} ({ServeLock.FileName} is held): stop it first; the wipe runs offline.");
        ct.ThrowIfCancellationRequested();
        await work(data);
    });
}
