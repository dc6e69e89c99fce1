using System.Runtime.InteropServices;

namespace CloudSecReq.Kms.Pkcs11;

/// CK_GCM_PARAMS in its 48-byte form with ulIvBits (SoftHSM rejects the 40-byte variant with CKR_ARGUMENTS_BAD).
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkGcmParams
{
    public byte* Iv;
    public nuint IvLen;
    public nuint IvBits;
    public byte* Aad;
    public nuint AadLen;
    public nuint TagBits;
}
