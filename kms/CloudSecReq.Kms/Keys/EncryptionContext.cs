using System.Buffers.Binary;
using System.Text;

namespace CloudSecReq.Kms.Keys;

/// The canonical byte form of an encryption context, bound into the AES-GCM AAD: pair count, then for each pair
/// in ordinal key order the UTF-8 key and value, each prefixed by its 4-byte big-endian length.
internal static class EncryptionContext
{
    public static byte[] Canonical(IReadOnlyDictionary<string, string>? context)
    {
        var pairs = (context ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var buffer = new List<byte>(64);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, pairs.Count);
        buffer.AddRange(len.ToArray());
        foreach (var (key, value) in pairs)
        {
            foreach (var s in new[] { key, value })
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                BinaryPrimitives.WriteInt32BigEndian(len, bytes.Length);
                buffer.AddRange(len.ToArray());
                buffer.AddRange(bytes);
            }
        }

        return [.. buffer];
    }
}
