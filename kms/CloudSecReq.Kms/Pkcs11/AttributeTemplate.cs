using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace CloudSecReq.Kms.Pkcs11;

/// A CK_ATTRIBUTE template under construction. <see cref="ToNative"/> lays it out in one native block
/// (the attribute array followed by the values) that is zeroed and freed on dispose.
internal sealed class AttributeTemplate
{
    private readonly List<(nuint Type, byte[] Value)> _items = [];

    public int Count => _items.Count;

    public AttributeTemplate Bool(nuint type, bool value)
    {
        _items.Add((type, [value ? (byte)1 : (byte)0]));
        return this;
    }

    /// CK_ULONG-typed attributes (CKA_CLASS, CKA_KEY_TYPE, CKA_VALUE_LEN, CKA_MODULUS_BITS): 8 bytes little endian.
    public AttributeTemplate ULong(nuint type, ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        _items.Add((type, bytes));
        return this;
    }

    public AttributeTemplate Bytes(nuint type, ReadOnlySpan<byte> value)
    {
        _items.Add((type, value.ToArray()));
        return this;
    }

    /// CKA_LABEL and the like: UTF-8, no terminating NUL.
    public AttributeTemplate Text(nuint type, string value)
    {
        _items.Add((type, Encoding.UTF8.GetBytes(value)));
        return this;
    }

    public unsafe NativeAttributes ToNative()
    {
        var headerBytes = _items.Count * sizeof(CkAttribute);
        var total = headerBytes + _items.Sum(i => i.Value.Length);
        var block = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(total, 1));
        var attributes = (CkAttribute*)block;
        var cursor = block + headerBytes;
        for (var i = 0; i < _items.Count; i++)
        {
            var (type, value) = _items[i];
            value.CopyTo(new Span<byte>(cursor, value.Length));
            attributes[i] = new CkAttribute { Type = type, Value = value.Length == 0 ? null : cursor, ValueLen = (nuint)value.Length };
            cursor += value.Length;
        }

        return new NativeAttributes(attributes, (nuint)_items.Count, (nuint)total);
    }
}
