using System.Runtime.InteropServices;

namespace CloudSecReq.Kms.Pkcs11;

/// CK_RSA_PKCS_OAEP_PARAMS, 40 bytes on LP64.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkRsaPkcsOaepParams
{
    public nuint HashAlg;
    public nuint Mgf;
    public nuint Source;
    public void* SourceData;
    public nuint SourceDataLen;
}
