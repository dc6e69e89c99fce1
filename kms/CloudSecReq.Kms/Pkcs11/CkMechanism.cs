using System.Runtime.InteropServices;

namespace CloudSecReq.Kms.Pkcs11;

/// CK_MECHANISM, 24 bytes on LP64.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkMechanism
{
    public nuint Mechanism;
    public void* Parameter;
    public nuint ParameterLen;
}
