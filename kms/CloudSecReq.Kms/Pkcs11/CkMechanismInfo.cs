using System.Runtime.InteropServices;

namespace CloudSecReq.Kms.Pkcs11;

/// CK_MECHANISM_INFO, 24 bytes on LP64. Key sizes are in bits or bytes depending on the mechanism (AES: bytes).
[StructLayout(LayoutKind.Sequential)]
internal struct CkMechanismInfo
{
    public nuint MinKeySize;
    public nuint MaxKeySize;
    public nuint Flags;
}
