using System.Runtime.InteropServices;

namespace CloudSecReq.Kms.Pkcs11;

/// Sets variables in the native process environment. Environment.SetEnvironmentVariable only changes .NET's
/// copy, which native getenv (SoftHSM reading SOFTHSM2_CONF) never sees.
internal static partial class NativeEnvironment
{
    public static void Set(string name, string value)
    {
        if (SetEnv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        Environment.SetEnvironmentVariable(name, value);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
