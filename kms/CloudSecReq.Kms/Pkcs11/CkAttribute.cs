using System.Runtime.InteropServices;

namespace CloudSecReq.Kms.Pkcs11;

/// CK_ATTRIBUTE, 24 bytes on LP64.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkAttribute
{
    public nuint Type;
    public void* Value;
    public nuint ValueLen;
}
