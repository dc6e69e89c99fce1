using System.Text;

namespace CloudSecReq.Gateway.Metadata;

/// <summary>S3's key order is UTF-8 byte order, which for valid Unicode is code point order.</summary>
internal static class KeyOrder
{
    /// <summary>
    /// The smallest string greater than every string that starts with <paramref name="prefix"/>:
    /// the prefix with its last code point raised by one. Null when there is none.
    /// </summary>
    public static string? PrefixUpperBound(string prefix)
    {
        var runes = prefix.EnumerateRunes().ToList();
        while (runes.Count > 0)
        {
            var last = runes[^1].Value;
            runes.RemoveAt(runes.Count - 1);
            var next = last + 1;
            if (next == 0xD800)
            {
                next = 0xE000;
            }
            if (next <= 0x10FFFF)
            {
                var sb = new StringBuilder();
                foreach (var r in runes)
                {
                    sb.Append(r.ToString());
                }
                return sb.Append(new Rune(next).ToString()).ToString();
            }
        }
        return null;
    }
}
