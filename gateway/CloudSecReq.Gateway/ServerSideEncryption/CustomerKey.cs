using System.Security.Cryptography;

namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>
/// An SSE-C key from request headers (<c>x-amz-server-side-encryption-customer-algorithm</c>,
/// <c>-key</c>, <c>-key-MD5</c>, or their <c>x-amz-copy-source-</c> forms). Never stored: objects keep a
/// salted HMAC of it to recognise it later. Dispose zeroes it.
/// </summary>
internal sealed class CustomerKey : IDisposable
{
    private CustomerKey(PinnedKey key, string md5Base64)
    {
        Key = key;
        Md5Base64 = md5Base64;
    }

    public PinnedKey Key { get; }

    /// <summary>The MD5 the client sent (and we checked), echoed in responses.</summary>
    public string Md5Base64 { get; }

    /// <summary>Reads the SSE-C headers; null when there are none. Throws <see cref="SseException"/> (InvalidHeader) when they are incomplete or wrong.</summary>
    public static CustomerKey? FromHeaders(IHeaderDictionary headers, string prefix = "x-amz-server-side-encryption-customer-")
    {
        string? H(string n) => headers.TryGetValue(prefix + n, out var v) ? v.ToString() : null;
        var algorithm = H("algorithm");
        var keyText = H("key");
        var md5Text = H("key-MD5");
        if (algorithm is null && keyText is null && md5Text is null)
        {
            return null;
        }
        if (algorithm != "AES256")
        {
            throw Invalid(prefix + "algorithm", "The SSE-C algorithm must be AES256.");
        }
        if (keyText is null || md5Text is null)
        {
            throw Invalid(prefix + "key", "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key and its MD5.");
        }
        byte[] keyBytes;
        try
        {
            keyBytes = Convert.FromBase64String(keyText);
        }
        catch (FormatException)
        {
            throw Invalid(prefix + "key", "The secret key was invalid for the specified algorithm.");
        }
        var key = PinnedKey.Take(keyBytes);
        if (key.Bytes.Length != 32)
        {
            key.Dispose();
            throw Invalid(prefix + "key", "The secret key was invalid for the specified algorithm.");
        }
        Span<byte> md5 = stackalloc byte[16];
#pragma warning disable CA5351 // SSE-C sends the key's MD5 by protocol (x-amz-server-side-encryption-customer-key-MD5): an integrity check, not a security one
        MD5.HashData(key.Bytes, md5);
#pragma warning restore CA5351
        if (Convert.ToBase64String(md5) != md5Text)
        {
            key.Dispose();
            throw Invalid(prefix + "key-MD5", "The calculated MD5 hash of the key did not match the hash that was provided.");
        }
        return new CustomerKey(key, md5Text);
    }

    /// <summary>HMAC-SHA256 of the key under a salt: what an object keeps to recognise the key.</summary>
    public byte[] Mac(ReadOnlySpan<byte> salt) => HMACSHA256.HashData(Key.Bytes, [.. salt, .. "cloudsecreq/sse-c/check"u8]);

    private static SseException Invalid(string header, string message) => new(SseFailure.InvalidHeader, message, header);

    public void Dispose() => Key.Dispose();
}
