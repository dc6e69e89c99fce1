using System.Security.Cryptography;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Hsm;
using CloudSecReq.Kms.Keys;
using CloudSecReq.Kms.Pkcs11;
using CloudSecReq.Kms.Platform;

namespace CloudSecReq.Kms;

/// The KMS of one gateway process: the HSM session pool, the key metadata store, the tenant-facing API
/// (<see cref="Api"/>), the data-key facade for the S3 path (<see cref="DataKeys"/>) and the platform keys
/// (<see cref="Secrets"/>, <see cref="Signer"/>). Open one per process with <see cref="Open"/> and dispose it at
/// shutdown. All members are thread safe.
public sealed class KmsService : IDisposable
{
    private readonly ITimer? _maintenance;
    private int _maintenanceRunning;

    private KmsService(KmsOptions options, Pkcs11SessionPool pool, KeyMetadataStore store)
    {
        Options = options;
        Pool = pool;
        Store = store;
        Hsm = new HsmKeyStore(pool);
        Secrets = new PlatformSecrets(Hsm);
        Signer = new PlatformSigner(Hsm);
        var resolver = new TenantKeyResolver(options, store);
        var writer = new TenantKeyWriter(options, Hsm, store, resolver);
        writer.KeyStateChanged += (_, e) => KeyStateChanged?.Invoke(this, e);
        var lifecycle = new TenantKeyLifecycle(options, Hsm, store, resolver, writer);
        var crypto = new TenantKeyCrypto(Hsm, resolver);
        Api = new KmsApi(resolver, lifecycle, crypto, new TenantKeyImport(options, Hsm, store, Secrets, resolver, writer));
        DataKeys = new KmsDataKeys(resolver, lifecycle, crypto);
        Maintenance = new TenantKeyMaintenance(options, Hsm, store, writer);
        if (options.MaintenanceInterval is { } interval)
        {
            _maintenance = options.TimeProvider.CreateTimer(_ => RunMaintenanceTick(), null, interval, interval);
        }
    }

    /// A tenant key changed state (raised on the thread that made the change). Subscribers must not block.
    public event EventHandler<KmsKeyStateChangedEventArgs>? KeyStateChanged;

    public KmsOptions Options { get; }

    /// The tenant-facing AWS KMS JSON 1.1 dispatcher (host it at X-Amz-Target TrentService.*).
    public KmsApi Api { get; }

    /// Data keys for the S3 path (SSE-KMS / SSE-S3).
    public KmsDataKeys DataKeys { get; }

    /// The platform key protecting users' secret access keys and other platform secrets at rest.
    public PlatformSecrets Secrets { get; }

    /// The platform ECDSA P-256 signing key (audit checkpoints, sanitisation certificates).
    public PlatformSigner Signer { get; }

    internal HsmKeyStore Hsm { get; }

    internal TenantKeyMaintenance Maintenance { get; }

    internal Pkcs11SessionPool Pool { get; }

    internal KeyMetadataStore Store { get; }

    /// Opens the KMS: loads the PKCS#11 module, (for the default SoftHSM2 with <see cref="KmsOptions.InitializeSoftHsmToken"/>)
    /// creates the configuration, PIN files and token on first use, logs in, opens the metadata store and makes sure
    /// the platform keys exist. Throws <see cref="KmsException"/> KeyUnavailable if the token cannot be reached,
    /// <see cref="InvalidOperationException"/> for configuration errors (no PIN, wrong PIN). Blocking; call once at startup.
    public static KmsService Open(KmsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var softHsm = options.SoftHsmConfigPath is not null;
        if (softHsm && options.InitializeSoftHsmToken)
        {
            SoftHsmToken.PrepareFiles(options.SoftHsmConfigPath!, options.PinFilePath ?? throw new InvalidOperationException("KmsOptions.PinFilePath is required to initialise a SoftHSM token."));
        }

        if (softHsm)
        {
            // SoftHSM reads SOFTHSM2_CONF once per C_Initialize and is one instance per process: while another
            // KmsService holds it, every service in this process must use the same configuration (several token
            // labels in one token directory are fine).
            var config = Path.GetFullPath(options.SoftHsmConfigPath!);
            var current = Environment.GetEnvironmentVariable("SOFTHSM2_CONF");
            if (Pkcs11Module.Load(options.ModulePath).IsInUse && current is not null && current != config)
            {
                throw new InvalidOperationException(
                    $"SoftHSM is already in use in this process with {current}; a process can use one SoftHSM configuration " +
                    "(share KmsOptions.SoftHsmConfigPath and give each service its own TokenLabel, PinFilePath and DatabasePath).");
            }

            SoftHsmToken.UseConfig(config);
        }

        var pin = ReadPin(options);
        Pkcs11SessionPool? pool = null;
        KeyMetadataStore? store = null;
        try
        {
            var module = Pkcs11Module.Load(options.ModulePath);
            if (softHsm && options.InitializeSoftHsmToken)
            {
                SoftHsmToken.EnsureToken(module, options.TokenLabel, options.PinFilePath!, pin);
            }

            pool = new Pkcs11SessionPool(module, options.TokenLabel, pin, options.MaxIdleSessions, options.TimeProvider);
            store = new KeyMetadataStore(options.DatabasePath);
            var service = new KmsService(options, pool, store);
            service.EnsurePlatformKeys();
            return service;
        }
        catch (Exception e)
        {
            store?.Dispose();
            pool?.Dispose();
            if (e is Pkcs11Exception { Kind: Pkcs11ErrorKind.Authentication } p)
            {
                throw new InvalidOperationException($"HSM login failed ({p.Function}): check the PIN file or variable.", e);
            }

            if (e is Pkcs11Exception or HsmKeyMissingException)
            {
                throw HsmErrors.ToKms(e);
            }

            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pin);
        }
    }

    /// Completes due key deletions (crypto-shred), expires imported key material, rotates keys whose rotation
    /// period passed, and destroys expired import wrapping keys. Runs on a timer when
    /// <see cref="KmsOptions.MaintenanceInterval"/> is set; safe to call concurrently with everything else.
    /// Returns the number of keys changed. Throws <see cref="KmsException"/> KeyUnavailable if the HSM is unreachable
    /// (nothing is marked done that was not done; the next run continues). Synchronous (SQLite and PKCS#11 calls).
    public int RunDueWork(CancellationToken cancellationToken = default) => Maintenance.RunDueWork(cancellationToken);

    /// Drops cached HSM object handles (and any data-key caches of later versions). Safe at any time.
    public void PurgeCaches() => Hsm.PurgeHandles();

    public void Dispose()
    {
        _maintenance?.Dispose();
        Store.Dispose();
        Pool.Dispose();
    }

    private void EnsurePlatformKeys()
    {
        if (!Hsm.Exists(PlatformSecrets.KeyLabel))
        {
            Hsm.GenerateAesKey(PlatformSecrets.KeyLabel);
        }

        Hsm.EnsureEcSigningKey(PlatformSigner.KeyLabel);
    }

    private void RunMaintenanceTick()
    {
        if (Interlocked.Exchange(ref _maintenanceRunning, 1) == 1)
        {
            return;
        }

        try
        {
            Maintenance.RunDueWork(CancellationToken.None);
        }
        catch (Exception)
        {
            // The next tick retries; failures surface to tenants through their own calls.
        }
        finally
        {
            Volatile.Write(ref _maintenanceRunning, 0);
        }
    }

    private static byte[] ReadPin(KmsOptions options)
    {
        if (options.PinFilePath is { } file && File.Exists(file))
        {
            return SoftHsmToken.ReadPin(file);
        }

        var fromEnv = Environment.GetEnvironmentVariable(options.PinEnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return System.Text.Encoding.UTF8.GetBytes(fromEnv);
        }

        throw new InvalidOperationException(
            $"No HSM PIN: set KmsOptions.PinFilePath to an existing file or the {options.PinEnvironmentVariable} environment variable.");
    }
}
