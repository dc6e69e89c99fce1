using System.Globalization;
using System.Text;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Tests.Integration.Fuzz;

/// <summary>One generated request: the bytes to send and how to send them.</summary>
/// <param name="HalfClose">End the sending side after the bytes (the request is incomplete on purpose).</param>
/// <param name="FreshConnection">Send on a new connection, and do not reuse it afterwards (framing cases).</param>
internal sealed record FuzzCase(string Category, string Description, byte[] Wire, bool Head, bool HalfClose, bool FreshConnection);

/// <summary>
/// Generates requests for the wire fuzz test (issue 11) from a seed: the same seed gives the same
/// sequence. Categories: aws-chunked bodies, request headers, bucket names, object keys, query
/// strings and subresources, HTTP framing. Most requests are signed correctly, so that they reach past
/// authentication into the handlers.
/// </summary>
internal sealed class WireFuzzer(GatewayFixture gateway, NewCredentials tenant, string bucket, int seed)
{
    public static readonly string[] Categories = ["aws-chunked", "headers", "bucket-names", "object-keys", "query", "framing"];

    private readonly Random _rng = new(seed);

    public FuzzCase Next()
    {
        var category = Categories[_rng.Next(Categories.Length)];
        return category switch
        {
            "aws-chunked" => AwsChunked(),
            "headers" => Headers(),
            "bucket-names" => BucketNames(),
            "object-keys" => ObjectKeys(),
            "query" => Query(),
            _ => Framing(),
        };
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A request signed by hand with every header in <paramref name="headers"/> signed.</summary>
    private byte[] Signed(string method, string rawPath, string rawQuery, List<KeyValuePair<string, string>> headers, byte[] body, string payloadHash = SigV4.UnsignedPayload)
    {
        if (body.Length > 0 || method is "PUT" or "POST")
        {
            headers.Add(new("content-length", body.Length.ToString(CultureInfo.InvariantCulture)));
        }
        var (head, _) = RawHttps.SignedHead(gateway, tenant, method, rawPath, rawQuery, payloadHash, headers);
        return [.. head, .. body];
    }

    // aws-chunked: a signed (or unsigned-trailer) body with one mutation; Content-Length always matches what is sent.
    private FuzzCase AwsChunked()
    {
        var size = _rng.Next(4) switch { 0 => _rng.Next(0, 10), 1 => _rng.Next(60 * 1024, 70 * 1024), _ => _rng.Next(0, 200_000) };
        var payload = RandomBytes(size);
        var mutation = Pick(new[]
        {
            "none", "decoded-length+", "decoded-length-", "flip-framing-byte", "size-garbage", "truncate", "garbage-after-end",
            "no-final-crlf", "trailer-garbage", "bad-signature-syntax", "small-chunks",
        });
        var decoded = mutation switch
        {
            "decoded-length+" => size + _rng.Next(1, 100_000),
            "decoded-length-" => Math.Max(0, size - _rng.Next(1, 100_000)),
            _ => (long)size,
        };
        var objectKey = "fuzz/chunked-" + _rng.Next(1000);
        var chunkBytes = mutation == "small-chunks" ? _rng.Next(1, 100) : _rng.Next(1, 70 * 1024);
        // Put builds the body twice (to learn its length, then with the signature of that length): its
        // random choices come from a generator of their own, seeded the same both times.
        var caseSeed = _rng.Next();
        var wire = AwsChunkedBuilder.Put(gateway, tenant, bucket, objectKey, decoded, b =>
        {
            var rng = new Random(caseSeed);
            T PickHere<T>(IReadOnlyList<T> items) => items[rng.Next(items.Count)];
            byte[] BytesHere(int count) { var r = new byte[count]; rng.NextBytes(r); return r; }
            for (var at = 0; at < payload.Length; at += chunkBytes)
            {
                b.Chunk(payload.AsSpan(at, Math.Min(chunkBytes, payload.Length - at)));
            }
            var body = b.Chunk([]).ToArray();
            switch (mutation)
            {
                case "flip-framing-byte":
                    // A byte of a chunk header or CRLF, not of the data: the framing is what is fuzzed.
                    var headerEnds = Enumerable.Range(0, body.Length).Where(i => body[i] == '\n').ToList();
                    var at = Math.Max(0, PickHere(headerEnds) - rng.Next(0, 80));
                    body[at] = (byte)rng.Next(256);
                    return body;
                case "size-garbage":
                    var garbage = PickHere(new[] { "ffffffffffff", new string('f', 40), "-1", "zz", "", " ", "0x10", "1e3", "7fffffffffffffff", "+5" });
                    var firstSemicolon = Array.IndexOf(body, (byte)';');
                    return firstSemicolon < 0 ? body : [.. Encoding.ASCII.GetBytes(garbage), .. body.AsSpan(firstSemicolon)];
                case "truncate":
                    return body[..(body.Length == 0 ? 0 : rng.Next(body.Length))];
                case "garbage-after-end":
                    return [.. body, .. BytesHere(rng.Next(1, 200))];
                case "no-final-crlf":
                    return body[..^2];
                case "trailer-garbage":
                    return [.. body[..^2], .. PickHere(new[] { "x-amz-checksum-crc32:AAAA\r\n\r\n", "nocolon\r\n\r\n", ":\r\n\r\n", new string('t', 20_000) + ":v\r\n\r\n", "\u00ff\u00fe\r\n\r\n" }).Select(c => (byte)c)];
                case "bad-signature-syntax":
                    var text = Encoding.Latin1.GetString(body);
                    var replaced = PickHere(new[] { "chunk-signature=zz", "chunk-signature", "chunk-signature==", "chunk-signature=" + new string('0', 64) + ";x=y", "CHUNK-SIGNATURE=" });
                    var sigAt = text.IndexOf("chunk-signature=", StringComparison.Ordinal);
                    return sigAt < 0 ? body : Encoding.Latin1.GetBytes(text[..sigAt] + replaced + text[(sigAt + "chunk-signature=".Length + 64)..]);
                default:
                    return body;
            }
        });
        return new FuzzCase("aws-chunked", $"{mutation} size={size} decoded={decoded} chunks={chunkBytes}", wire, false, false, false);
    }

    private static readonly string[] s_headerNames =
    [
        "x-fuzz", "Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "Content-MD5", "Content-Type", "Content-Encoding",
        "x-amz-checksum-crc32", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm", "x-amz-trailer", "x-amz-storage-class",
        "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-customer-algorithm",
        "x-amz-server-side-encryption-customer-key", "x-amz-server-side-encryption-customer-key-MD5", "x-amz-copy-source",
        "x-amz-copy-source-range", "x-amz-metadata-directive", "x-amz-tagging", "x-amz-tagging-directive", "x-amz-meta-fuzz",
        "x-amz-decoded-content-length", "x-amz-expected-bucket-owner", "x-amz-bucket-object-lock-enabled", "Expect", "Cache-Control",
        "x-amz-acl", "x-amz-object-lock-mode", "x-amz-website-redirect-location",
    ];

    private static readonly string[] s_headerValues =
    [
        "", " ", "*", "bytes=0-0", "bytes=-1", "bytes=5-2", "bytes=0-99999999999999999999", "bytes=a-b", "bytes=0-1,2-3", "bytes=", "\"etag\"",
        "Mon, 32 Dec 9999 99:99:99 GMT", "AAAA", "!!!!", "=====", "AES256", "aws:kms", "bogus", "CRC32", "SHA256", "x-amz-checksum-crc32",
        "STANDARD", "GLACIER", "REDUCED_REDUNDANCY", "/", "/../..", "/bucket", "/%zz", "COPY", "REPLACE", "a=b&&=", "=", "a=%zz",
        "100-continue", "-1", "99999999999999999999", "0", "\t", "a\u007fb", "unicode-é", "日本", "ok",
    ];

    // Request headers: one to many extra headers (odd names and values, duplicates, huge), all signed.
    private FuzzCase Headers()
    {
        var headers = new List<KeyValuePair<string, string>>();
        var count = _rng.Next(4) == 0 ? _rng.Next(100, 220) : _rng.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            var name = _rng.Next(10) switch
            {
                0 => "x-fuzz-" + Pick(new[] { "\u0001", "(", ")", "é", "{", "\"", "/", "@" }) + i,
                1 => "x-fuzz-" + i,
                _ => Pick(s_headerNames),
            };
            var value = _rng.Next(12) switch
            {
                0 => new string('v', _rng.Next(1000, 70_000)),
                1 => Encoding.Latin1.GetString(RandomBytes(_rng.Next(1, 40)).Select(b => b is (byte)'\r' or (byte)'\n' ? (byte)'x' : b).ToArray()),
                _ => Pick(s_headerValues),
            };
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            headers.Add(new(name, value));
        }
        var method = Pick(new[] { "GET", "HEAD", "PUT", "PUT", "DELETE", "POST" });
        var target = _rng.Next(3) == 0 ? $"/{bucket}" : $"/{bucket}/fuzz/h-{_rng.Next(20)}";
        var body = method is "PUT" or "POST" ? RandomBytes(_rng.Next(0, 3000)) : [];
        return new FuzzCase("headers", $"{method} {target} {string.Join("; ", headers.Take(4).Select(h => h.Key + ": " + Trim(h.Value)))} (+{Math.Max(0, headers.Count - 4)})",
            Signed(method, target, "", headers, body), method == "HEAD", false, false);
    }

    private static string Trim(string value) => value.Length > 40 ? value[..40] + $"...({value.Length})" : value;

    // Bucket names: valid and invalid, for CreateBucket, HeadBucket, ListObjects and DeleteBucket.
    private FuzzCase BucketNames()
    {
        var name = _rng.Next(8) switch
        {
            0 => "192.168.0." + _rng.Next(256),
            1 => Pick(new[] { "xn--abc", "-start", "end-", "a..b", "a.-b", "UPPER", "under_score", "a", "ab", new string('a', 63), new string('a', 64), "sthree-x", "x-s3alias", "x--ol-s3" }),
            2 => "fz-" + Uri.EscapeDataString(Encoding.UTF8.GetString(RandomBytes(6).Select(b => (byte)(b % 94 + 33)).ToArray())),
            3 => "fz-%2e%2e",
            _ => "fz-" + new string(Enumerable.Range(0, _rng.Next(1, 70)).Select(_ => "abcdefghijklmnopqrstuvwxyz0123456789.-_A"[_rng.Next(40)]).ToArray()),
        };
        var (method, query) = Pick(new[] { ("PUT", ""), ("HEAD", ""), ("GET", ""), ("GET", "list-type=2"), ("DELETE", ""), ("GET", "location"), ("GET", "versioning") });
        var target = "/" + name;
        return new FuzzCase("bucket-names", $"{method} {target}?{query}", Signed(method, target, query, [], []), method == "HEAD", false, false);
    }

    private static readonly string[] s_keyPieces =
    [
        "a", "dir/", "/", "//", ".", "..", "../", " ", "+", "%", "?", "#", "~", "*", "'", "\"", "<", ">", "&", "=", ";", "\\", "ü", "日本", "😀",
        "\u00a0", "\u200b", "\ufeff", "é", "%20", "%2F", "%zz", "%FF", "%C3", "%01", "\u0001", "\r", "\u001f", "x-amz-", "$", "!", "(", ")", "[", "]", "{", "}", "|", "^", "`",
    ];

    // Object keys: odd characters, escapes and lengths, for PUT, GET, HEAD and DELETE, then a listing.
    private FuzzCase ObjectKeys()
    {
        var objectKey = _rng.Next(10) == 0
            ? new string('k', _rng.Next(1000, 1100))
            : string.Concat(Enumerable.Range(0, _rng.Next(1, 12)).Select(_ => Pick(s_keyPieces)));
        // Mostly encoded as an SDK does; sometimes with '/' escaped, or with the raw '%' pieces left as
        // they are (so "%FF" and "%C3" reach the gateway as bytes that are not UTF-8).
        var rawPath = "/" + bucket + "/" + _rng.Next(3) switch
        {
            0 => string.Join("/", objectKey.Split('/').Select(SigV4.UriEncode)),
            1 => SigV4.UriEncode(objectKey),
            _ => string.Concat(objectKey.Select(c => c is '%' or '/' || char.IsAsciiLetterOrDigit(c) ? c.ToString() : SigV4.UriEncode(c.ToString()))),
        };
        var (method, query) = Pick(new[] { ("PUT", ""), ("GET", ""), ("HEAD", ""), ("DELETE", ""), ("GET", "tagging"), ("GET", "location"), ("GET", "list-type=2&prefix=" + SigV4.UriEncode(objectKey)) });
        var target = query.StartsWith("list-type", StringComparison.Ordinal) ? "/" + bucket : rawPath;
        var body = method == "PUT" ? RandomBytes(_rng.Next(0, 100)) : [];
        return new FuzzCase("object-keys", $"{method} {Trim(target)}?{Trim(query)}", Signed(method, target, query, [], body), method == "HEAD", false, false);
    }

    private static readonly string[] s_queryNames =
    [
        "acl", "tagging", "uploads", "uploadId", "partNumber", "versionId", "versions", "list-type", "max-keys", "prefix", "delimiter", "marker",
        "continuation-token", "start-after", "encoding-type", "fetch-owner", "location", "versioning", "encryption", "delete", "policy", "cors",
        "lifecycle", "website", "logging", "notification", "replication", "object-lock", "retention", "legal-hold", "attributes", "restore",
        "select", "select-type", "torrent", "max-parts", "part-number-marker", "max-uploads", "key-marker", "upload-id-marker", "version-id-marker",
        "response-content-type", "response-content-disposition", "response-cache-control", "response-expires", "x-id", "X-Amz-Algorithm",
    ];

    private static readonly string[] s_queryValues =
    [
        "", "1", "0", "-1", "2", "1001", "10000", "99999999999999999999", "abc", "url", "bogus", "%zz", "%", "%2F", "a/b", "日本", "true", "false",
        "null", "..", "=", "&", "+", new string('q', 2000), "AWS4-HMAC-SHA256", "bytes=0-1",
    ];

    // Query strings and subresources, on buckets and objects, with every method; bodies are small XML documents or bytes.
    private FuzzCase Query()
    {
        var parameters = new List<string>();
        for (var i = _rng.Next(1, 5); i > 0; i--)
        {
            var name = Pick(s_queryNames);
            var value = Pick(s_queryValues);
            parameters.Add(_rng.Next(5) == 0 ? SigV4.UriEncode(name) : SigV4.UriEncode(name) + "=" + (value.Contains('%') ? value : SigV4.UriEncode(value)));
        }
        var rawQuery = string.Join("&", parameters);
        var method = Pick(new[] { "GET", "GET", "HEAD", "PUT", "POST", "DELETE" });
        var target = _rng.Next(2) == 0 ? $"/{bucket}" : $"/{bucket}/fuzz/q-{_rng.Next(10)}";
        byte[] body = [];
        if (method is "PUT" or "POST")
        {
            var xml = Pick(new[]
            {
                "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>",
                "<Delete><Object><Key>fuzz/q-1</Key></Object></Delete>",
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part></CompleteMultipartUpload>",
                "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>bogus</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
                "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
                "<", "<a>&bogus;</a>", "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>", "not xml", "",
                "<Tagging>" + string.Concat(Enumerable.Repeat("<TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet>", 60)) + "</Tagging>",
                "<Delete><Object><Key>" + string.Concat(Enumerable.Repeat("<a>", 5000)) + string.Concat(Enumerable.Repeat("</a>", 5000)) + "</Key></Object></Delete>",
            });
            body = Encoding.UTF8.GetBytes(xml);
        }
        return new FuzzCase("query", $"{method} {target}?{Trim(rawQuery)}", Signed(method, target, rawQuery, [], body), method == "HEAD", false, false);
    }

    // HTTP framing: heads and bodies that are broken, conflicting or cut (cut ones end with a half-close, so nothing waits on a timeout).
    private FuzzCase Framing()
    {
        var good = Signed("PUT", $"/{bucket}/fuzz/framing", "", [], RandomBytes(_rng.Next(0, 2000)));
        var headEnd = Encoding.Latin1.GetString(good).IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        var kind = _rng.Next(12);
        byte[] wire;
        var halfClose = false;
        string description;
        switch (kind)
        {
            case 0:
                description = "body shorter than Content-Length, then half-close";
                wire = good[..(headEnd + (good.Length - headEnd) / 2)];
                halfClose = good.Length > headEnd;
                break;
            case 1:
                description = "head cut, then half-close";
                wire = good[.._rng.Next(1, headEnd)];
                halfClose = true;
                break;
            case 2:
                description = "garbage after the request";
                wire = [.. good, .. RandomBytes(_rng.Next(1, 300))];
                break;
            case 3:
                description = "two requests back to back";
                wire = [.. good, .. good];
                break;
            case 4:
                description = "flip a request-line byte";
                wire = (byte[])good.Clone();
                wire[_rng.Next(Math.Min(20, headEnd))] = (byte)_rng.Next(256);
                break;
            case 5:
                description = "Transfer-Encoding chunked with broken chunks";
                var (head, _) = RawHttps.SignedHead(gateway, tenant, "PUT", $"/{bucket}/fuzz/te", "", SigV4.UnsignedPayload, unsigned: [new("transfer-encoding", Pick(new[] { "chunked", "chunked, chunked", "gzip, chunked", "identity", "Chunked" }))]);
                var chunks = Pick(new[] { "5\r\nhello\r\n0\r\n\r\n", "ffffffff\r\nab\r\n", new string('f', 30) + "\r\n", "5;ext=1\r\nhello\r\n0\r\n\r\n", "5\r\nhelloXX0\r\n\r\n", "0\r\nTrailer: x\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n", "5\nhello\n0\n\n" });
                wire = [.. head, .. Encoding.ASCII.GetBytes(chunks)];
                halfClose = true;
                break;
            case 6:
                description = "Content-Length and Transfer-Encoding both";
                var (both, _) = RawHttps.SignedHead(gateway, tenant, "PUT", $"/{bucket}/fuzz/both", "", SigV4.UnsignedPayload,
                    [new("content-length", "5")], unsigned: [new("transfer-encoding", "chunked")]);
                wire = [.. both, .. "0\r\n\r\nhello"u8.ToArray()];
                halfClose = true;
                break;
            case 7:
                description = "request line too long";
                wire = Encoding.ASCII.GetBytes($"GET /{bucket}/{new string('a', 17 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n");
                break;
            case 8:
                description = "odd method";
                var method = Pick(new[] { "put", "CONNECT", "TRACE", "OPTIONS", "PATCH", "PROPFIND", "GET ", "G\u00e9T", "PRI" });
                wire = [.. Encoding.Latin1.GetBytes(method), .. good.AsSpan(3)];
                halfClose = true;
                break;
            case 9:
                description = "random bytes";
                wire = RandomBytes(_rng.Next(1, 500));
                halfClose = true;
                break;
            case 10:
                description = "HTTP/1.0 without Host";
                wire = Encoding.ASCII.GetBytes($"GET /{bucket} HTTP/1.0\r\n\r\n");
                break;
            default:
                description = "head with bare LF or folded lines";
                wire = Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(good[..headEnd]).Replace(_rng.Next(2) == 0 ? "\r\n" : "\r\nx-amz-date", _rng.Next(2) == 0 ? "\n" : "\r\n x-amz-date")).Concat(good[headEnd..]).ToArray();
                halfClose = true;
                break;
        }
        return new FuzzCase("framing", description, wire, false, halfClose, true);
    }
}
