using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// AWS Signature Version 4: canonical request, string to sign, signing key and signature, as in
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html. Pure functions,
/// independent of HTTP types, so that AWS's published test vectors can drive them.
/// </summary>
internal static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    public const string StreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    public const string StreamingSignedPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    public const string StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    private static readonly SearchValues<char> s_unreserved =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

    /// <summary>
    /// Builds the canonical request. <paramref name="rawPath"/> and <paramref name="rawQuery"/> are
    /// as they came on the wire (percent-encoded, query without '?'). S3 signs the path encoded
    /// once and not normalised; other services (<paramref name="normalizePath"/> true) normalise
    /// dot segments and encode twice. Header names are matched case-insensitively.
    /// </summary>
    public static string CanonicalRequest(
        string method,
        string rawPath,
        string rawQuery,
        IEnumerable<KeyValuePair<string, string>> headers,
        IReadOnlyList<string> signedHeaders,
        string payloadHash,
        bool normalizePath,
        string? excludeQueryParameter = null)
    {
        var sb = new StringBuilder(512);
        sb.Append(method).Append('\n');
        sb.Append(CanonicalUri(rawPath, normalizePath)).Append('\n');
        sb.Append(CanonicalQuery(rawQuery, excludeQueryParameter)).Append('\n');
        var byName = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            if (!byName.TryGetValue(name, out var list))
            {
                byName[name] = list = [];
            }
            list.Add(TrimAll(value));
        }
        foreach (var name in signedHeaders)
        {
            sb.Append(name).Append(':');
            if (byName.TryGetValue(name, out var values))
            {
                sb.AppendJoin(',', values);
            }
            sb.Append('\n');
        }
        sb.Append('\n');
        sb.AppendJoin(';', signedHeaders).Append('\n');
        sb.Append(payloadHash);
        return sb.ToString();
    }

    public static string CanonicalUri(string rawPath, bool normalizePath)
    {
        if (rawPath.Length == 0)
        {
            return "/";
        }
        // Non-S3 services sign the wire path encoded once more (so '%' becomes %25 and any
        // character left unencoded on the wire is encoded once); S3 signs the decoded path encoded once.
        var segments = normalizePath ? rawPath.Split('/').ToList() : rawPath.Split('/').Select(PercentDecode).ToList();
        if (normalizePath)
        {
            var kept = new List<string>();
            for (var i = 0; i < segments.Count; i++)
            {
                var s = segments[i];
                var isEdge = i == 0 || i == segments.Count - 1;
                if (s == ".")
                {
                    if (i == segments.Count - 1)
                    {
                        kept.Add("");
                    }

                    continue;
                }
                if (s == "..")
                {
                    if (kept.Count > 1)
                    {
                        kept.RemoveAt(kept.Count - 1);
                    }

                    if (i == segments.Count - 1)
                    {
                        kept.Add("");
                    }

                    continue;
                }
                if (s.Length == 0 && !isEdge)
                {
                    continue;
                }
                kept.Add(s);
            }
            segments = kept;
            if (segments.Count == 1 && segments[0].Length == 0)
            {
                return "/";
            }
        }
        var encoded = string.Join('/', segments.Select(UriEncode));
        return encoded.Length == 0 ? "/" : encoded;
    }

    /// <summary>Sorted, re-encoded query parameters, optionally leaving one out (X-Amz-Signature).</summary>
    public static string CanonicalQuery(string rawQuery, string? exclude = null)
    {
        if (rawQuery.Length == 0)
        {
            return "";
        }
        var pairs = new List<(string Key, string Value)>();
        foreach (var part in rawQuery.Split('&'))
        {
            if (part.Length == 0)
            {
                continue;
            }
            var eq = part.IndexOf('=');
            var k = PercentDecode(eq < 0 ? part : part[..eq]);
            if (exclude is not null && k == exclude)
            {
                continue;
            }
            var v = eq < 0 ? "" : PercentDecode(part[(eq + 1)..]);
            pairs.Add((UriEncode(k), UriEncode(v)));
        }
        pairs.Sort((a, b) =>
        {
            var c = string.CompareOrdinal(a.Key, b.Key);
            return c != 0 ? c : string.CompareOrdinal(a.Value, b.Value);
        });
        return string.Join('&', pairs.Select(p => p.Key + "=" + p.Value));
    }

    /// <summary>RFC 3986 encoding as SigV4 wants it: unreserved characters kept, all else %XX in upper case.</summary>
    public static string UriEncode(string value)
    {
        if (!value.AsSpan().ContainsAnyExcept(s_unreserved))
        {
            return value;
        }
        var sb = new StringBuilder(value.Length * 3);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.IsAscii && s_unreserved.Contains((char)rune.Value))
            {
                sb.Append((char)rune.Value);
                continue;
            }
            var n = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < n; i++)
            {
                sb.Append('%').Append(utf8[i].ToString("X2"));
            }
        }
        return sb.ToString();
    }

    /// <summary>Decodes %XX escapes (only those; '+' stays '+') and reads the bytes as UTF-8.</summary>
    public static string PercentDecode(string value)
    {
        if (!value.Contains('%'))
        {
            return value;
        }
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && IsHex(value[i + 1]) && IsHex(value[i + 2]))
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    /// <summary>Trims and collapses runs of spaces, as SigV4 canonical header values need.</summary>
    public static string TrimAll(string value)
    {
        var trimmed = value.Trim();
        if (!trimmed.Contains("  ") && !trimmed.Contains('\t'))
        {
            return trimmed;
        }
        var sb = new StringBuilder(trimmed.Length);
        var space = false;
        foreach (var c in trimmed)
        {
            if (c is ' ' or '\t')
            {
                if (!space)
                {
                    sb.Append(' ');
                }

                space = true;
            }
            else
            {
                sb.Append(c);
                space = false;
            }
        }
        return sb.ToString();
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{Sha256Hex(Encoding.UTF8.GetBytes(canonicalRequest))}";

    public static byte[] DeriveSigningKey(ReadOnlySpan<byte> secret, string date, string region, string service)
    {
        var prefixed = new byte[4 + secret.Length];
        "AWS4"u8.CopyTo(prefixed);
        secret.CopyTo(prefixed.AsSpan(4));
        var k = HMACSHA256.HashData(prefixed, Encoding.UTF8.GetBytes(date));
        CryptographicOperations.ZeroMemory(prefixed);
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(region));
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(k, "aws4_request"u8);
    }

    public static string Sign(byte[] signingKey, string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    public static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Constant-time comparison of two hex signatures (case-insensitive on the client's side).</summary>
    public static bool SignaturesEqual(string expectedLowerHex, string provided)
    {
        if (provided.Length != expectedLowerHex.Length)
        {
            return false;
        }
        Span<byte> a = stackalloc byte[expectedLowerHex.Length];
        Span<byte> b = stackalloc byte[provided.Length];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (byte)expectedLowerHex[i];
            b[i] = (byte)char.ToLowerInvariant(provided[i]);
        }
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
