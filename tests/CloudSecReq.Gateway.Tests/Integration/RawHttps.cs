using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml.Linq;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// One keep-alive HTTPS connection to the gateway driven byte by byte, for requests no client
/// library sends (broken framing, bodies that stop, requests after an early error). Every read has a
/// deadline: a response that does not come in time fails the test as a hang.
/// </summary>
internal sealed class RawHttps : IAsyncDisposable
{
    /// <summary>How long a test waits for a response before calling it a hang.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly TcpClient _tcp;
    private readonly SslStream _tls;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _pos;
    private int _len;

    private RawHttps(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        _tls = tls;
    }

    public static async Task<RawHttps> OpenAsync(GatewayFixture gateway)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, gateway.Endpoint.Port);
        var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(gateway.CaBundlePath));
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" });
        return new RawHttps(tcp, tls);
    }

    public static string HostOf(GatewayFixture gateway) => $"127.0.0.1:{gateway.Endpoint.Port}";

    /// <summary>
    /// The bytes of a request head signed by hand (SigV4, us-east-1); <paramref name="headers"/> are
    /// signed too, except names listed in <paramref name="unsigned"/> (framing headers a proxy may change).
    /// Returns the head and the signature (the seed of an aws-chunked body).
    /// </summary>
    public static (byte[] Head, string Signature) SignedHead(GatewayFixture gateway, NewCredentials tenant, string method, string rawPath, string rawQuery,
        string payloadHash, IEnumerable<KeyValuePair<string, string>>? headers = null, IEnumerable<KeyValuePair<string, string>>? unsigned = null, DateTimeOffset? time = null)
    {
        var signed = HandSigner.Sign(method, HostOf(gateway), rawPath, rawQuery, payloadHash, tenant.AccessKeyId, tenant.SecretAccessKey,
            time ?? TimeProvider.System.GetUtcNow(), headers);
        var head = new StringBuilder($"{method} {rawPath}{(rawQuery.Length > 0 ? "?" + rawQuery : "")} HTTP/1.1\r\n");
        foreach (var (name, value) in signed.Concat(unsigned ?? []))
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append("\r\n");
        var authorization = signed.Single(h => h.Key == "Authorization").Value;
        return (Encoding.UTF8.GetBytes(head.ToString()), authorization[(authorization.LastIndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length)..]);
    }

    /// <summary>A signed PUT of <paramref name="body"/> with Content-Length (UNSIGNED-PAYLOAD), head and body in one buffer.</summary>
    public static byte[] SignedPut(GatewayFixture gateway, NewCredentials tenant, string bucket, string objectKey, ReadOnlySpan<byte> body)
    {
        var (head, _) = SignedHead(gateway, tenant, "PUT", $"/{bucket}/{objectKey}", "", SigV4.UnsignedPayload,
            [new("content-length", body.Length.ToString(CultureInfo.InvariantCulture))]);
        return [.. head, .. body];
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        await _tls.WriteAsync(bytes, timeout.Token);
        await _tls.FlushAsync(timeout.Token);
    }

    /// <summary>Sends what it can; false when the gateway has closed the connection meanwhile.</summary>
    public async Task<bool> TrySendAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await SendAsync(bytes);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Ends the sending side (TLS close_notify, then FIN); the connection can still be read.</summary>
    public async Task ShutdownSendAsync()
    {
        await _tls.ShutdownAsync();
        _tcp.Client.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Cuts the connection with a reset (no close_notify, no FIN).</summary>
    public void Reset()
    {
        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Client.Close();
    }

    /// <summary>Closes the TCP connection (FIN) without TLS close_notify, as a killed client does.</summary>
    public void CloseWithoutTlsClose() => _tcp.Client.Close();

    /// <summary>
    /// Reads one response (interim 1xx responses are returned too). Null when the gateway closed the
    /// connection (cleanly or with a reset) before a response began. Throws <see cref="TimeoutException"/>
    /// after <paramref name="deadline"/> (<see cref="Deadline"/> by default): the gateway hangs.
    /// </summary>
    public async Task<RawResponse?> ReadResponseAsync(bool headRequest = false, TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? Deadline);
        try
        {
            var headBytes = await ReadHeadAsync(timeout.Token);
            if (headBytes is null)
            {
                return null;
            }
            var lines = Encoding.Latin1.GetString(headBytes).Split("\r\n");
            var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
            {
                var colon = line.IndexOf(':');
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            byte[] body = [];
            if (status >= 200 && !headRequest && status != 204 && status != 304)
            {
                if (headers.TryGetValue("Content-Length", out var length))
                {
                    body = await ReadExactlyAsync(int.Parse(length, CultureInfo.InvariantCulture), timeout.Token);
                }
                else if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    body = await ReadChunkedAsync(timeout.Token);
                }
            }
            return new RawResponse(status, headers, body);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"No response and no close within {(deadline ?? Deadline).TotalSeconds} s: the gateway hangs on this connection.");
        }
        catch (IOException)
        {
            return null; // reset by the gateway
        }
    }

    /// <summary>True when the gateway closes the connection (reset or FIN) without sending anything more, within the deadline.</summary>
    public async Task<bool> IsClosedByGatewayAsync()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        try
        {
            if (_len - _pos > 0)
            {
                return false;
            }
            return await _tls.ReadAsync(_buffer, timeout.Token) == 0;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<byte[]?> ReadHeadAsync(CancellationToken ct)
    {
        var head = new List<byte>();
        while (true)
        {
            if (_pos == _len)
            {
                _pos = 0;
                _len = await _tls.ReadAsync(_buffer, ct);
                if (_len == 0)
                {
                    return head.Count == 0 ? null : throw new IOException("The connection closed inside a response head.");
                }
            }
            head.Add(_buffer[_pos++]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
            {
                return head.ToArray();
            }
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (_pos == _len)
            {
                _pos = 0;
                _len = await _tls.ReadAsync(_buffer, ct);
                if (_len == 0)
                {
                    throw new IOException("The connection closed inside a response body.");
                }
            }
            var n = Math.Min(count - filled, _len - _pos);
            _buffer.AsSpan(_pos, n).CopyTo(result.AsSpan(filled));
            _pos += n;
            filled += n;
        }
        return result;
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        var line = new List<byte>();
        while (true)
        {
            var b = (await ReadExactlyAsync(1, ct))[0];
            if (b == '\n')
            {
                return Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
            }
            line.Add(b);
        }
    }

    private async Task<byte[]> ReadChunkedAsync(CancellationToken ct)
    {
        var body = new MemoryStream();
        while (true)
        {
            var size = int.Parse(await ReadLineAsync(ct), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                while ((await ReadLineAsync(ct)).Length > 0)
                {
                }
                return body.ToArray();
            }
            body.Write(await ReadExactlyAsync(size, ct));
            await ReadLineAsync(ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }
}

/// <summary>A response as read from the wire.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The S3 error code of the XML body (or the x-amz-error-code header of a HEAD), null if none.</summary>
    public string? ErrorCode
    {
        get
        {
            if (Headers.TryGetValue("x-amz-error-code", out var code))
            {
                return code;
            }
            if (Body.Length == 0 || Body[0] != '<')
            {
                return null;
            }
            try
            {
                // As AWS writes them: characters XML 1.0 cannot carry come as character references (&#x1;).
                using var reader = System.Xml.XmlReader.Create(new MemoryStream(Body), new System.Xml.XmlReaderSettings { CheckCharacters = false });
                return XDocument.Load(reader).Root?.Element("Code")?.Value;
            }
            catch (System.Xml.XmlException)
            {
                return null;
            }
        }
    }

    public bool ClosesConnection => Headers.TryGetValue("Connection", out var c) && c.Contains("close", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Status} {ErrorCode} {Encoding.UTF8.GetString(Body.AsSpan(0, Math.Min(Body.Length, 300)))}";
}

/// <summary>Builds aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), signed as a client would, or broken on purpose.</summary>
internal sealed class AwsChunkedBuilder(NewCredentials tenant, DateTimeOffset time, string seedSignature)
{
    private readonly ArrayBufferWriter<byte> _body = new();
    private readonly byte[] _signingKey = SigV4.DeriveSigningKey(Encoding.UTF8.GetBytes(tenant.SecretAccessKey), time.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture), "us-east-1", "s3");
    private readonly string _amzDate = time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
    private readonly string _scope = $"{time.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}/us-east-1/s3/aws4_request";
    private string _previous = seedSignature;

    public string NextSignature(ReadOnlySpan<byte> data)
    {
        var stringToSign = $"AWS4-HMAC-SHA256-PAYLOAD\n{_amzDate}\n{_scope}\n{_previous}\n{SigV4.EmptySha256}\n{SigV4.Sha256Hex(data.ToArray())}";
        _previous = SigV4.Sign(_signingKey, stringToSign);
        return _previous;
    }

    /// <summary>A well-formed signed chunk (a zero-length one ends the body).</summary>
    public AwsChunkedBuilder Chunk(ReadOnlySpan<byte> data)
    {
        var signature = NextSignature(data);
        Raw(Encoding.ASCII.GetBytes($"{data.Length:x};chunk-signature={signature}\r\n"));
        Raw(data);
        Raw("\r\n"u8);
        return this;
    }

    public AwsChunkedBuilder Raw(ReadOnlySpan<byte> bytes)
    {
        _body.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _body.WrittenSpan.ToArray();

    /// <summary>The whole request (head and body) of a signed aws-chunked PUT; <paramref name="build"/> writes the body.</summary>
    public static byte[] Put(GatewayFixture gateway, NewCredentials tenant, string bucket, string objectKey, long decodedLength, Func<AwsChunkedBuilder, byte[]> build,
        int? contentLength = null)
    {
        var time = TimeProvider.System.GetUtcNow();
        // The body is built after the head (its chunk signatures chain from the head's), but its length is in the head:
        // sign once to learn the length, then again with it (the seed changes with the length).
        byte[] Build(int length, out byte[] head)
        {
            var (h, seed) = RawHttps.SignedHead(gateway, tenant, "PUT", $"/{bucket}/{objectKey}", "", SigV4.StreamingSignedPayload,
                [
                    new("content-encoding", "aws-chunked"),
                    new("content-length", (contentLength ?? length).ToString(CultureInfo.InvariantCulture)),
                    new("x-amz-decoded-content-length", decodedLength.ToString(CultureInfo.InvariantCulture)),
                ], time: time);
            head = h;
            return build(new AwsChunkedBuilder(tenant, time, seed));
        }
        var first = Build(0, out _);
        var body = Build(first.Length, out var head);
        return [.. head, .. body];
    }
}
