namespace CloudSecReq.Kms;

/// How <see cref="KmsService.Open"/> finds its HSM token and metadata. Start from <see cref="ForDataDirectory"/>.
/// The PIN comes from <see cref="PinFilePath"/> or the environment variable named by <see cref="PinEnvironmentVariable"/>,
/// never from the command line.
public sealed class KmsOptions
{
    /// The default SoftHSM2 module on Debian.
    public const string DefaultSoftHsmModulePath = "/usr/lib/softhsm/libsofthsm2.so";

    /// Path of the PKCS#11 v2.40 module to load.
    public string ModulePath { get; set; } = DefaultSoftHsmModulePath;

    /// Label of the token to use (slot ids change; tokens are found by label).
    public string TokenLabel { get; set; } = "cloudsecreq";

    /// File whose content (trailing newline removed) is the user PIN. Checked before the environment variable.
    public string? PinFilePath { get; set; }

    /// Environment variable holding the user PIN, used when <see cref="PinFilePath"/> is null or missing.
    public string PinEnvironmentVariable { get; set; } = "CLOUDSECREQ_HSM_PIN";

    /// SoftHSM2 configuration file: set as SOFTHSM2_CONF in the native environment before the module starts.
    /// Null leaves the environment alone (another module, or SOFTHSM2_CONF already set by the operator).
    public string? SoftHsmConfigPath { get; set; }

    /// When true and the module is SoftHSM2, a missing configuration, PIN files and token are created on first use.
    public bool InitializeSoftHsmToken { get; set; }

    /// SQLite file holding key metadata (WAL, secure_delete).
    public string DatabasePath { get; set; } = "kms.db";

    /// Region used in key ARNs (arn:aws:kms:REGION:ACCOUNT:key/UUID).
    public string Region { get; set; } = "us-east-1";

    /// Smallest PendingWindowInDays ScheduleKeyDeletion accepts. AWS uses 7; tests may lower it (down to 0).
    public int MinimumPendingWindowDays { get; set; } = 7;

    /// How often the background sweep completes due deletions, expires imported material and rotates due keys.
    /// Null disables the timer (call <see cref="KmsService.RunDueWork"/> yourself).
    public TimeSpan? MaintenanceInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// Clock for key dates (deletion, rotation, import token expiry), the maintenance timer and the HSM reconnect
    /// back-off. Tests pass their own.
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// Whether the module does RSA-OAEP with SHA-256 in C_UnwrapKey (SoftHSM2 does not). Only then are the
    /// RSAES_OAEP_SHA_256 and RSA_AES_KEY_WRAP_SHA_256 import algorithms offered; otherwise UnsupportedOperation.
    public bool ModuleSupportsOaepSha256 { get; set; }

    /// Most idle PKCS#11 sessions kept open.
    public int MaxIdleSessions { get; set; } = 8;

    /// Defaults for a gateway data directory: SoftHSM2 with DATA/hsm/softhsm2.conf, tokens in DATA/hsm/tokens, the PIN in
    /// DATA/hsm/user-pin (0600, a development default: production deployments point at a real HSM and a PIN file
    /// they manage), metadata in DATA/kms.db; the token is created on first use.
    public static KmsOptions ForDataDirectory(string dataDirectory)
    {
        var data = Path.GetFullPath(dataDirectory);
        var hsm = Path.Combine(data, "hsm");
        return new KmsOptions
        {
            SoftHsmConfigPath = Path.Combine(hsm, "softhsm2.conf"),
            PinFilePath = Path.Combine(hsm, "user-pin"),
            InitializeSoftHsmToken = true,
            DatabasePath = Path.Combine(data, "kms.db"),
        };
    }
}
