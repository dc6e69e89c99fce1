using System.Security.Cryptography;
using System.Text;

namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// Decodes an <c>aws-chunked</c> request body as it streams, verifying every chunk signature
/// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) and collecting trailers (for checksums). A bad
/// signature or framing throws <see cref="AuthException"/> from the read; since nothing is committed
/// before the body has been read to its end, a forged or cut stream stores nothing.
/// Reads are sequential; not thread-safe.
/// </summary>
internal sealed class AwsChunkedStream : Stream
{
    private const int MaxLineBytes = 4096;
    private const int MaxTrailerBytes = 16 * 1024;
    private readonly Stream _inner;
    private readonly SigningContext? _signing;
    private readonly bool _expectTrailer;
    private readonly long? _decodedLength;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly Dictionary<string, string> _trailers = new(StringComparer.OrdinalIgnoreCase);
    private int _pos;
    private int _len;
    private long _remainingInChunk;
    private bool _inChunk;
    private bool _done;
    private long _total;
    private string? _chunkSignature;
    private string _previousSignature;
    private readonly IncrementalHash? _chunkHash;

    /// <param name="signing">The signing context for signed chunks; null for STREAMING-UNSIGNED-PAYLOAD-TRAILER.</param>
    /// <param name="decodedLength">x-amz-decoded-content-length, checked at the end when given.</param>
    public AwsChunkedStream(Stream inner, SigningContext? signing, bool expectTrailer, long? decodedLength)
    {
        _inner = inner;
        _signing = signing;
        _expectTrailer = expectTrailer;
        _decodedLength = decodedLength;
        _previousSignature = signing?.SeedSignature ?? "";
        if (signing is not null)
        {
            _chunkHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    /// <summary>The trailers sent after the last chunk (lower-case names), available once the stream has ended.</summary>
    public IReadOnlyDictionary<string, string> Trailers => _trailers;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _total; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        if (_done || destination.Length == 0)
        {
            return 0;
        }
        if (!_inChunk)
        {
            await StartChunkAsync(ct);
            if (_done)
            {
                return 0;
            }
        }
        var want = (int)Math.Min(destination.Length, _remainingInChunk);
        int n;
        if (_len - _pos > 0)
        {
            n = Math.Min(want, _len - _pos);
            _buffer.AsSpan(_pos, n).CopyTo(destination.Span);
            _pos += n;
        }
        else
        {
            n = await _inner.ReadAsync(destination[..want], ct);
            if (n == 0)
            {
                throw Incomplete();
            }
        }
        _chunkHash?.AppendData(destination.Span[..n]);
        _remainingInChunk -= n;
        _total += n;
        if (_remainingInChunk == 0)
        {
            await EndChunkAsync(ct);
        }
        return n;
    }

    private async Task StartChunkAsync(CancellationToken ct)
    {
        var header = await ReadLineAsync(ct);
        var semi = header.IndexOf(';');
        var sizeText = semi < 0 ? header : header[..semi];
        if (sizeText.Length is 0 or > 16 || !long.TryParse(sizeText, System.Globalization.NumberStyles.HexNumber, null, out var size) || size < 0)
        {
            throw new AuthException(AuthFailure.MalformedChunk, "The aws-chunked body has a malformed chunk header.");
        }
        _chunkSignature = null;
        if (semi >= 0)
        {
            foreach (var ext in header[(semi + 1)..].Split(';'))
            {
                if (ext.StartsWith("chunk-signature=", StringComparison.Ordinal))
                {
                    _chunkSignature = ext["chunk-signature=".Length..];
                }
            }
        }
        if (_signing is not null && _chunkSignature is null)
        {
            throw new AuthException(AuthFailure.SignatureMismatch, "A chunk of the aws-chunked body carries no signature.");
        }
        _remainingInChunk = size;
        _inChunk = true;
        if (size == 0)
        {
            VerifyChunkSignature();
            await ReadTrailersAsync(ct);
            _done = true;
            _inChunk = false;
            if (_decodedLength is { } expected && expected != _total)
            {
                throw Incomplete();
            }
        }
    }

    private async Task EndChunkAsync(CancellationToken ct)
    {
        if (await ReadLineAsync(ct) != "")
        {
            throw new AuthException(AuthFailure.MalformedChunk, "The aws-chunked body has a chunk longer than its header says.");
        }
        VerifyChunkSignature();
        _inChunk = false;
    }

    private void VerifyChunkSignature()
    {
        if (_signing is null)
        {
            return;
        }
        var chunkHashHex = Convert.ToHexStringLower(_chunkHash!.GetHashAndReset());
        var stringToSign = $"AWS4-HMAC-SHA256-PAYLOAD\n{_signing.AmzDate}\n{_signing.Scope}\n{_previousSignature}\n{SigV4.EmptySha256}\n{chunkHashHex}";
        var expected = SigV4.Sign(_signing.SigningKey, stringToSign);
        if (!SigV4.SignaturesEqual(expected, _chunkSignature!))
        {
            throw new AuthException(AuthFailure.SignatureMismatch, "The signature of a chunk of the aws-chunked body does not match.");
        }
        _previousSignature = expected;
    }

    private async Task ReadTrailersAsync(CancellationToken ct)
    {
        var canonical = new StringBuilder();
        string? trailerSignature = null;
        var bytes = 0;
        while (true)
        {
            string line;
            try
            {
                line = await ReadLineAsync(ct);
            }
            catch (AuthException e) when (e.Failure == AuthFailure.IncompleteBody && _len - _pos == 0 && !_expectTrailer)
            {
                return; // some clients end the body right after the last chunk header
            }
            if (line.Length == 0)
            {
                break;
            }
            bytes += line.Length;
            if (bytes > MaxTrailerBytes)
            {
                throw new AuthException(AuthFailure.MalformedChunk, "The aws-chunked trailer is too large.");
            }
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new AuthException(AuthFailure.MalformedChunk, "The aws-chunked body has a malformed trailer.");
            }
            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (name == "x-amz-trailer-signature")
            {
                trailerSignature = value;
                continue;
            }
            _trailers[name] = value;
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }
        if (_signing is not null && _expectTrailer)
        {
            if (trailerSignature is null)
            {
                throw new AuthException(AuthFailure.SignatureMismatch, "The trailer of the aws-chunked body carries no signature.");
            }
            var stringToSign = $"AWS4-HMAC-SHA256-TRAILER\n{_signing.AmzDate}\n{_signing.Scope}\n{_previousSignature}\n{SigV4.Sha256Hex(Encoding.UTF8.GetBytes(canonical.ToString()))}";
            if (!SigV4.SignaturesEqual(SigV4.Sign(_signing.SigningKey, stringToSign), trailerSignature))
            {
                throw new AuthException(AuthFailure.SignatureMismatch, "The signature of the aws-chunked trailer does not match.");
            }
        }
    }

    /// <summary>Reads one CRLF-terminated line (without the CRLF).</summary>
    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        var line = new List<byte>(80);
        while (true)
        {
            if (_pos == _len)
            {
                _pos = 0;
                _len = await _inner.ReadAsync(_buffer, ct);
                if (_len == 0)
                {
                    throw Incomplete();
                }
            }
            var b = _buffer[_pos++];
            if (b == '\n')
            {
                if (line.Count > 0 && line[^1] == '\r')
                {
                    line.RemoveAt(line.Count - 1);
                }
                return Encoding.ASCII.GetString(line.ToArray());
            }
            line.Add(b);
            if (line.Count > MaxLineBytes)
            {
                throw new AuthException(AuthFailure.MalformedChunk, "The aws-chunked body has an over-long line.");
            }
        }
    }

    private static AuthException Incomplete() =>
        new(AuthFailure.IncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _chunkHash?.Dispose();
        }
        base.Dispose(disposing);
    }
}
