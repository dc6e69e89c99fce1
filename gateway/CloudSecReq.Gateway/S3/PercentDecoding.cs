using System.Text;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// Percent-decoding of what a request names (object keys, query parameters, copy sources) into the
/// one string it means. Bytes that are not valid UTF-8 are refused, never replaced with U+FFFD:
/// replacing would let different requested keys (<c>%FE</c>, <c>%FF</c>, <c>%EF%BF%BD</c>) name one
/// stored object. (SigV4 canonicalisation keeps its own lenient decoder: it only re-encodes.)
/// </summary>
internal static class PercentDecoding
{
    // Throws on invalid bytes when decoding and on lone surrogates when encoding.
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The decoded text, or null when it is not valid UTF-8.</summary>
    public static string? DecodeUtf8(string value)
    {
        try
        {
            if (!value.Contains('%'))
            {
                s_strict.GetByteCount(value);
                return value;
            }
            var bytes = new byte[s_strict.GetMaxByteCount(value.Length)];
            var length = 0;
            for (var i = 0; i < value.Length; i++)
            {
                var next = value.IndexOf('%', i);
                if (next != i)
                {
                    // A run of literal characters up to the next '%' (or the end).
                    var end = next < 0 ? value.Length : next;
                    length += s_strict.GetBytes(value.AsSpan(i, end - i), bytes.AsSpan(length));
                    i = end - 1;
                }
                else if (i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
                {
                    bytes[length++] = (byte)(HexValue(value[i + 1]) << 4 | HexValue(value[i + 2]));
                    i += 2;
                }
                else
                {
                    bytes[length++] = (byte)'%';
                }
            }
            return s_strict.GetString(bytes, 0, length);
        }
        catch (ArgumentException)
        {
            // DecoderFallbackException and EncoderFallbackException are ArgumentExceptions.
            return null;
        }
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
