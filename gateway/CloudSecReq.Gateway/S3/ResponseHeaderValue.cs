namespace CloudSecReq.Gateway.S3;

/// <summary>
/// Stored text (user metadata, Content-Disposition ...) as it can travel in an HTTP/1.1 response
/// header. As AWS documents for user metadata: a value of printable US-ASCII is returned as it is;
/// any other is returned as RFC 2047 encoded-words (<c>=?UTF-8?B?...?=</c>) so that it is mail-safe.
/// Values are stored as they were received (Kestrel decodes request headers as strict UTF-8).
/// </summary>
internal static class ResponseHeaderValue
{
    // An encoded-word is at most 75 characters (RFC 2047 section 2): "=?UTF-8?B?" + 60 base64 + "?=" = 72,
    // and 60 base64 characters carry 45 bytes.
    private const int MaxBytesPerWord = 45;

    /// <summary>The value itself when it is printable ASCII (or tab), else its RFC 2047 encoding.</summary>
    public static string MailSafe(string value)
    {
        foreach (var c in value)
        {
            if (c is (< ' ' and not '\t') or > '~')
            {
                return Encode(value);
            }
        }
        return value;
    }

    /// <summary>True when a value holds CR, LF, NUL or another control character that no header may carry.</summary>
    public static bool HasControlCharacters(string value)
    {
        foreach (var c in value)
        {
            if (c is (< ' ' and not '\t') or '\x7f')
            {
                return true;
            }
        }
        return false;
    }

    private static string Encode(string value)
    {
        var words = new List<string>();
        var bytes = new List<byte>(MaxBytesPerWord);
        Span<byte> rune = stackalloc byte[4];
        foreach (var r in value.EnumerateRunes())
        {
            var n = r.EncodeToUtf8(rune);
            if (bytes.Count + n > MaxBytesPerWord)
            {
                words.Add(Word(bytes));
                bytes.Clear();
            }
            bytes.AddRange(rune[..n]);
        }
        if (bytes.Count > 0 || words.Count == 0)
        {
            words.Add(Word(bytes));
        }
        // Adjacent encoded-words separated by white space are one text once decoded (RFC 2047 section 6.2).
        return string.Join(' ', words);
    }

    private static string Word(List<byte> bytes) => "=?UTF-8?B?" + Convert.ToBase64String(bytes.ToArray()) + "?=";
}
