using System.Runtime.InteropServices;

namespace CloudSecReq.Kms.Pkcs11;

/// CK_C_INITIALIZE_ARGS, 48 bytes on LP64. We pass no mutex callbacks and CKF_OS_LOCKING_OK.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkInitializeArgs
{
    public void* CreateMutex;
    public void* DestroyMutex;
    public void* LockMutex;
    public void* UnlockMutex;
    public nuint Flags;
    public void* Reserved;
}
