using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Metadata.Sqlite;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage;
using CloudSecReq.Gateway.Storage.Volumes;
using CloudSecReq.Gateway.Tenants;
using CloudSecReq.Kms;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// A gateway's data directory opened for use: configuration, metadata, tenant service and volumes.
/// Both <c>csr serve</c> and the admin subcommands open it this way.
/// Layout: csr.json, meta/metadata.db, hsm/ (the SoftHSM2 token and its PIN file, 0600), kms.db,
/// keys/volume-identity.key (0600), tls/, volumes/.
/// The volume identity key (32 random bytes) MACs every volume's identity file; it is stored sealed
/// by the HSM's platform key (<c>Secrets.Protect</c>, AES-GCM inside the HSM, bound to
/// "volume-identity-key") and unsealed once at open, so the MAC needs the HSM without one HSM call
/// per volume, and a copied data directory without the HSM cannot forge identities.
/// </summary>
internal sealed class DataDirectory : IAsyncDisposable
{
    private const string VolumeIdentityKeyPurpose = "volume-identity-key";
    private readonly byte[] _volumeIdentityKey;

    private DataDirectory(string path, GatewayConfig config, IMetadataStore store, KmsService kms, TenantService tenants, IReadOnlyList<Volume> volumes, StorageClassCatalog storageClasses, byte[] volumeIdentityKey, TimeProvider clock)
    {
        Kms = kms;
        Path = path;
        Config = config;
        Store = store;
        Tenants = tenants;
        Volumes = volumes;
        StorageClasses = storageClasses;
        Manifests = CloudSecReq.Gateway.Manifests.ManifestCodec.FromVolumeIdentityKey(volumeIdentityKey);
        _volumeIdentityKey = volumeIdentityKey;
        Clock = clock;
    }

    public string Path { get; }

    /// <summary>The clock the directory was opened with: volumes, tenants and the KMS read time through it.</summary>
    public TimeProvider Clock { get; }
    public GatewayConfig Config { get; }
    public IMetadataStore Store { get; }
    /// <summary>The key management service: the HSM session pool, tenant keys and the platform keys.</summary>
    public KmsService Kms { get; }
    public TenantService Tenants { get; }
    /// <summary>Every configured volume, fenced ones included (<see cref="Volume.IsFenced"/>): filter before reading or writing.</summary>
    public IReadOnlyList<Volume> Volumes { get; }
    /// <summary>The configured storage classes (validated at open).</summary>
    public StorageClassCatalog StorageClasses { get; }
    /// <summary>Encodes and authenticates the manifests written to the volumes' logs (MAC key derived from the volume identity key).</summary>
    public CloudSecReq.Gateway.Manifests.ManifestCodec Manifests { get; }

    public string VolumeIdentityKeyPath => VolumeIdentityKeyPathOf(Path);

    public string DefaultTenantEnvPath => System.IO.Path.Combine(Path, DefaultTenantEnvFileName);

    private const string DefaultTenantEnvFileName = "tenant-default.env";

    /// <summary>DATA/admin.env (0600): the first admin key, written when the gateway created it.</summary>
    public string AdminEnvPath => AdminEnvPathOf(Path);

    public static string AdminEnvPathOf(string dataDirectory) => System.IO.Path.Combine(dataDirectory, AdminEnvFileName);

    private const string AdminEnvFileName = "admin.env";

    /// <summary>
    /// Why <paramref name="path"/> is not a data directory that admin commands may open (it has no csr.json
    /// or no kms.db: it was never started with <c>csr serve</c>), or null when it is one. Admin commands
    /// refuse such a directory instead of creating an empty cluster with a new HSM token in it (issue 11).
    /// </summary>
    public static string? NotADataDirectory(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        var missing = new[] { GatewayConfig.FileName, "kms.db" }.Where(f => !File.Exists(System.IO.Path.Combine(path, f))).ToList();
        return missing.Count == 0
            ? null
            : $"{path} is not a CloudSecReq data directory (no {string.Join(" or ", missing)}); nothing was created. " +
              $"Check --data, or create one by starting the gateway there once: csr serve --data {path}";
    }

    /// <summary>
    /// The gateway's own paths under data directory <paramref name="path"/>, each to be made private with
    /// everything under it (issue 11): its top-level entries of the layout above (with the temporary files
    /// of csr.json and heal-status.json), the top-level entries that hold a volume of csr.json, and every
    /// volume that lies outside the directory.
    /// <paramref name="path"/> itself is not among them. <c>Foreign</c>: the other top-level entries, which
    /// the gateway did not make and leaves alone (a first start pointed at a home directory must not
    /// change the modes of what is in it). Reads csr.json (creating it when missing).
    /// </summary>
    public static (IReadOnlyList<string> Own, IReadOnlyList<string> Foreign) OwnPaths(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        var entries = Directory.EnumerateFileSystemEntries(path).ToList();
        static bool IsOwn(string name) =>
            name is "meta" or "hsm" or "keys" or "tls" or "volumes" or Sanitisation.CertificateStore.DirectoryName or ServeLock.FileName || name == DefaultTenantEnvFileName || name == AdminEnvFileName || name == "endpoint.url" || name == MetricsTokenFile.FileName ||
            name.StartsWith(GatewayConfig.FileName, StringComparison.Ordinal) || name.StartsWith("kms.db", StringComparison.Ordinal) ||
            name.StartsWith(Healing.HealStatusFile.FileName, StringComparison.Ordinal);
        var volumes = GatewayConfig.LoadOrCreate(path).ResolvedVolumes(path).Select(v => v.Path).ToList();
        var inside = path + System.IO.Path.DirectorySeparatorChar;
        bool HoldsVolume(string entry) => volumes.Any(v => v == entry || v.StartsWith(entry + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal));
        var own = entries.Where(e => IsOwn(System.IO.Path.GetFileName(e)) || HoldsVolume(e)).ToList();
        return (own.Concat(volumes.Where(v => !v.StartsWith(inside, StringComparison.Ordinal))).ToList(), entries.Except(own).ToList());
    }

    /// <summary>Opens the data directory at <paramref name="path"/>, creating it on first use when <paramref name="initialise"/>.</summary>
    /// <param name="initialise">
    /// True only for <c>csr serve</c>: a missing directory, configuration, database or SoftHSM token is
    /// created. False for admin commands: a directory that is not yet a data directory
    /// (<see cref="NotADataDirectory"/>) is refused with <see cref="InvalidOperationException"/>, and a
    /// missing SoftHSM token is an error, not replaced by a new one.
    /// </param>
    /// <param name="createVolumes">
    /// True for the gateway: a volume whose directory or identity is absent is created as a fresh, empty
    /// volume (<see cref="Volume.Open"/>). False for admin commands: such a volume is opened as missing
    /// (<see cref="Volume.OpenExisting"/>) and nothing is written to it, unless this call creates the
    /// volume identity key (a new data directory, or the upgrade that signs existing identities).
    /// </param>
    public static async Task<DataDirectory> OpenAsync(string path, TimeProvider clock, bool createVolumes, bool initialise, CancellationToken ct)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!initialise && NotADataDirectory(path) is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }
        PrivateFiles.RestrictUmask();
        Directory.CreateDirectory(path, PrivateFiles.DirectoryMode);
        var config = GatewayConfig.LoadOrCreate(path);
        Directory.CreateDirectory(System.IO.Path.Combine(path, "meta"));
        var store = await SqliteMetadataStore.OpenAsync(System.IO.Path.Combine(path, "meta", "metadata.db"), ct);
        var kmsOptions = KmsOptions.ForDataDirectory(path);
        kmsOptions.Region = config.Region;
        kmsOptions.TimeProvider = clock;
        kmsOptions.MinimumPendingWindowDays = config.MinimumKeyDeletionWindowDays;
        // A token is made only with a new kms.db: one whose token is gone (lost, not mounted) must not
        // get a new, empty token, whose platform keys unseal nothing the old one sealed (issue 11).
        kmsOptions.InitializeSoftHsmToken = initialise && !File.Exists(kmsOptions.DatabasePath);
        if (!kmsOptions.InitializeSoftHsmToken && !File.Exists(kmsOptions.SoftHsmConfigPath))
        {
            await store.DisposeAsync();
            throw new InvalidOperationException($"The HSM token is missing ({kmsOptions.SoftHsmConfigPath} is gone) while {kmsOptions.DatabasePath} exists: " +
                "the token holds every tenant key and the platform keys. Restore hsm/ from its backup (docs/operations.md); a new token is not made, as it could open nothing the old one sealed.");
        }
        KmsService kms;
        try
        {
            kms = KmsService.Open(kmsOptions);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
        byte[] identityKey;
        bool keyCreated;
        List<Volume> volumes;
        StorageClassCatalog storageClasses;
        try
        {
            storageClasses = config.CreateStorageClassCatalog();
            (identityKey, keyCreated) = LoadOrCreateVolumeIdentityKey(path, kms);
            volumes = config.ResolvedVolumes(path).Select(v => createVolumes || keyCreated
                ? Volume.Open(v, identityKey, clock, signUnsignedIdentity: keyCreated)
                : Volume.OpenExisting(v, identityKey, clock)).ToList();
        }
        catch
        {
            kms.Dispose();
            await store.DisposeAsync();
            throw;
        }
        foreach (var fenced in volumes.Where(v => v.IsFenced))
        {
            // Reported on every start and admin command until re-admitted; the rest keep serving.
            Console.Error.WriteLine($"csr: volume {fenced.Id} at {fenced.Config.Path} is FENCED: {fenced.FencedReason}. It is neither read nor written; check the disk, then run `csr volume readmit {fenced.Id}`.");
        }
        foreach (var missing in volumes.Where(v => v.MissingReason is not null))
        {
            Console.Error.WriteLine($"csr: volume {missing.Id} at {missing.Config.Path} is MISSING: {missing.MissingReason}.");
        }
        return new DataDirectory(path, config, store, kms, new TenantService(store, new HsmSecretProtector(kms.Secrets), clock), volumes, storageClasses, identityKey, clock);
    }

    /// <summary>
    /// Re-admits a fenced volume (see <see cref="Volume.Readmit"/>): its identity is rewritten with a
    /// fresh MAC. A running gateway uses it from its next start. Returns the re-opened volume.
    /// </summary>
    /// <exception cref="ArgumentException">No volume has that id.</exception>
    public Volume ReadmitVolume(string volumeId)
    {
        var volume = Volumes.FirstOrDefault(v => v.Id == volumeId)
            ?? throw new ArgumentException($"No volume '{volumeId}' is configured in {GatewayConfig.FileName}.");
        return Volume.Readmit(volume.Config, _volumeIdentityKey, Clock);
    }

    /// <summary>
    /// Adds a volume: checks it (<see cref="GatewayConfig.RefusalToAdd"/>), creates its directory and
    /// signed identity (<see cref="Volume.Open"/>), then appends it to csr.json
    /// (<see cref="GatewayConfig.AddVolume"/>). A running gateway does not re-read csr.json: it uses the
    /// volume from its next start. <see cref="Config"/> and <see cref="Volumes"/> of this instance do
    /// not change. Returns the opened volume.
    /// </summary>
    /// <exception cref="ArgumentException">The volume is refused, or its path holds another volume's identity (it is left as it was); csr.json is unchanged.</exception>
    /// <exception cref="IOException">The volume's directory, identity or csr.json cannot be written.</exception>
    public Volume AddVolume(VolumeConfig volume)
    {
        var current = GatewayConfig.LoadOrCreate(Path);
        if (current.RefusalToAdd(volume, Path) is { } refusal)
        {
            throw new ArgumentException(refusal);
        }
        var resolved = volume with { Path = System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, volume.Path)) };
        var opened = Volume.Open(resolved, _volumeIdentityKey, Clock);
        if (opened.FencedReason is { } fenced)
        {
            throw new ArgumentException($"{resolved.Path} cannot become volume '{volume.Id}': {fenced}.");
        }
        GatewayConfig.AddVolume(Path, volume);
        return opened;
    }

    /// <summary>Re-checks one volume's identity and presence (see <see cref="Volume.Refresh"/>).</summary>
    public void RefreshVolume(Volume volume) => volume.Refresh(_volumeIdentityKey, Clock);

    internal static string VolumeIdentityKeyPathOf(string dataDirectory) => System.IO.Path.Combine(dataDirectory, "keys", "volume-identity.key");

    // The key file holds only the sealed key. Created once; a second process racing to create it
    // loses the rename and reads the winner's key. The returned flag is true only for the creator.
    private static (byte[] Key, bool Created) LoadOrCreateVolumeIdentityKey(string dataDirectory, KmsService kms)
    {
        var path = VolumeIdentityKeyPathOf(dataDirectory);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(VolumeIdentity.KeyBytes);
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".new";
            using (var file = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                file.Write(kms.Secrets.Protect(key, VolumeIdentityKeyPurpose));
                file.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temporary, path, overwrite: false);
                Fsync.Directory(System.IO.Path.GetDirectoryName(path)!);
                return (key, true);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            }
        }
        var unsealed = kms.Secrets.Unprotect(File.ReadAllBytes(path), VolumeIdentityKeyPurpose);
        if (unsealed.Length != VolumeIdentity.KeyBytes)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(unsealed);
            throw new InvalidOperationException($"{path} does not hold a volume identity key.");
        }
        return (unsealed, false);
    }

    public async ValueTask DisposeAsync()
    {
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_volumeIdentityKey);
        Manifests.Dispose();
        Kms.Dispose();
        await Store.DisposeAsync();
    }
}
