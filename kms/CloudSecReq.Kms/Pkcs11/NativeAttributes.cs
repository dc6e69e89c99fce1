using System.Runtime.InteropServices;

namespace CloudSecReq.Kms.Pkcs11;

/// A template in native memory (see <see cref="AttributeTemplate.ToNative"/>). Dispose zeroes and frees it.
internal readonly unsafe struct NativeAttributes(CkAttribute* pointer, nuint count, nuint sizeBytes) : IDisposable
{
    public CkAttribute* Pointer { get; } = pointer;

    public nuint Count { get; } = count;

    public void Dispose()
    {
        NativeMemory.Clear(Pointer, sizeBytes);
        NativeMemory.Free(Pointer);
    }
}
