using System.Security.Cryptography;
using System.Text;
using CloudSecReq.Kms.Pkcs11;

namespace CloudSecReq.Kms.Hsm;

/// Creates, idempotently, a SoftHSM2 token for a data directory: hsm/softhsm2.conf, hsm/tokens/, the user PIN in
/// hsm/user-pin and the SO PIN in hsm/so-pin (both 0600). The token itself is made with C_InitToken/C_InitPIN
/// through our binding, so no PIN ever appears on a command line. scripts/softhsm-init.sh does the same from a shell.
internal static class SoftHsmToken
{
    /// Writes the configuration and PIN files if missing (never overwrites) and points SOFTHSM2_CONF at the config.
    public static void PrepareFiles(string configPath, string pinFilePath)
    {
        var hsmDir = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        var tokens = Path.Combine(hsmDir, "tokens");
        CreatePrivateDirectory(hsmDir);
        CreatePrivateDirectory(tokens);
        if (!File.Exists(configPath))
        {
            WritePrivateFile(configPath, $"""
                # CloudSecReq development token (created on first start)
                directories.tokendir = {tokens}
                objectstore.backend = file
                log.level = ERROR
                slots.removable = false

                """);
        }

        CreatePrivateDirectory(Path.GetDirectoryName(Path.GetFullPath(pinFilePath))!);
        WritePinIfMissing(pinFilePath);
        WritePinIfMissing(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pinFilePath))!, "so-pin"));
    }

    /// Points SoftHSM at <paramref name="configPath"/> (native environment: SoftHSM reads it in C_Initialize).
    public static void UseConfig(string configPath) => NativeEnvironment.Set("SOFTHSM2_CONF", Path.GetFullPath(configPath));

    /// Initialises a token labelled <paramref name="label"/> unless one exists. The SO PIN is read from "so-pin" next to
    /// the user PIN file.
    public static void EnsureToken(Pkcs11Module module, string label, string pinFilePath, ReadOnlySpan<byte> userPin)
    {
        module.AddUser();
        try
        {
            if (module.FindSlotByTokenLabel(label) is not null)
            {
                return;
            }

            var slot = module.FindUninitializedSlot()
                ?? throw new Pkcs11Exception("C_GetSlotList", Pkcs11ErrorKind.Unavailable, "no free slot to create the token in");
            var soPin = ReadPin(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pinFilePath))!, "so-pin"));
            try
            {
                module.InitToken(slot, label, soPin, userPin);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(soPin);
            }
        }
        finally
        {
            module.RemoveUser();
        }
    }

    /// Reads a PIN file; the trailing newline is not part of the PIN.
    public static byte[] ReadPin(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = bytes.Length;
        while (length > 0 && bytes[length - 1] is (byte)'\n' or (byte)'\r')
        {
            length--;
        }

        var pin = bytes.AsSpan(0, length).ToArray();
        CryptographicOperations.ZeroMemory(bytes);
        return pin;
    }

    private static void WritePinIfMissing(string path)
    {
        if (File.Exists(path))
        {
            return;
        }

        // 24 characters from an unambiguous alphabet: 128+ bits.
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        var pin = RandomNumberGenerator.GetString(alphabet, 24);
        WritePrivateFile(path, pin + "\n");
    }

    private static void WritePrivateFile(string path, string content)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(content));
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
