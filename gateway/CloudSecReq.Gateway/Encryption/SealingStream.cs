using System.Buffers;
using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Encryption;

/// <summary>
/// Write-only stream stage: plaintext in, sealed packages (format v1, docs/encryption-format.md) out
/// to the inner stream. Buffers at most one package: a full package is sealed only once the next
/// byte arrives, because only then is it known not to be the final one. <see cref="FinishAsync"/>
/// must be called exactly once after the last write; it seals the final (possibly short or empty)
/// package. Disposing without finishing leaves a segment with no final package, which never opens.
/// Owns one <see cref="AesGcm"/> and one pooled buffer (zeroed on return); the key is borrowed and
/// must outlive the stream. After a failed write to the inner stream the segment is unusable:
/// dispose it and start over. Not thread-safe.
/// </summary>
internal sealed class SealingStream : Stream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly int _partNumber;
    private readonly AesGcm _aes;
    // Plaintext is gathered at [0, _buffered) and sealed in place: ciphertext over it, tag after it.
    private byte[]? _buffer;
    private int _buffered;
    private long _packageIndex;
    private bool _finished;

    /// <summary>
    /// Seals into <paramref name="inner"/> with <paramref name="key"/>. <paramref name="leaveOpen"/>:
    /// whether disposing this stream leaves the inner stream open.
    /// </summary>
    public SealingStream(Stream inner, SegmentKey key, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(key);
        _inner = inner;
        _leaveOpen = leaveOpen;
        _partNumber = key.PartNumber;
        _aes = new AesGcm(key.Bytes, SealedFormat.TagBytes);
        _buffer = ArrayPool<byte>.Shared.Rent(SealedFormat.PackageSealedBytes);
    }

    /// <summary>Plaintext bytes accepted so far.</summary>
    public long PlainLength { get; private set; }

    /// <summary>Sealed bytes written to the inner stream so far (the segment's stored length once finished).</summary>
    public long SealedLength { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => _buffer is not null && !_finished;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var package = EnsureWritable();
        while (!buffer.IsEmpty)
        {
            if (_buffered == SealedFormat.PackagePlainBytes)
            {
                var sealedBytes = SealBuffered(package, final: false);
                _inner.Write(package, 0, sealedBytes);
                SealedLength += sealedBytes;
            }
            var take = Math.Min(buffer.Length, SealedFormat.PackagePlainBytes - _buffered);
            buffer[..take].CopyTo(package.AsSpan(_buffered));
            _buffered += take;
            PlainLength += take;
            buffer = buffer[take..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var package = EnsureWritable();
        while (!buffer.IsEmpty)
        {
            if (_buffered == SealedFormat.PackagePlainBytes)
            {
                var sealedBytes = SealBuffered(package, final: false);
                await _inner.WriteAsync(package.AsMemory(0, sealedBytes), cancellationToken).ConfigureAwait(false);
                SealedLength += sealedBytes;
            }
            var take = Math.Min(buffer.Length, SealedFormat.PackagePlainBytes - _buffered);
            buffer.Span[..take].CopyTo(package.AsSpan(_buffered));
            _buffered += take;
            PlainLength += take;
            buffer = buffer[take..];
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>
    /// Seals and writes the final package. Call exactly once, after all writes; a second call or a
    /// later write throws <see cref="InvalidOperationException"/>. Does not flush the inner stream.
    /// </summary>
    public async Task FinishAsync(CancellationToken ct)
    {
        var package = EnsureWritable();
        _finished = true;
        var sealedBytes = SealBuffered(package, final: true);
        await _inner.WriteAsync(package.AsMemory(0, sealedBytes), ct).ConfigureAwait(false);
        SealedLength += sealedBytes;
    }

    /// <summary>Flushes the inner stream; never seals a partial package.</summary>
    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReleaseBuffer();
            _aes.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    // base.DisposeAsync would run Dispose(true), disposing the inner stream synchronously: this does the same work asynchronously.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2215:Dispose methods should call base class dispose", Justification = "Does what Dispose(true) does, asynchronously.")]
    public override async ValueTask DisposeAsync()
    {
        ReleaseBuffer();
        _aes.Dispose();
        if (!_leaveOpen)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }
        GC.SuppressFinalize(this);
    }

    private byte[] EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        if (_finished)
        {
            throw new InvalidOperationException("The sealed segment is already finished.");
        }
        return _buffer;
    }

    // Seals [0, _buffered) in place as package _packageIndex; returns the sealed length at [0, n).
    private int SealBuffered(byte[] package, bool final)
    {
        Span<byte> nonce = stackalloc byte[SealedFormat.NonceBytes];
        Span<byte> aad = stackalloc byte[SealedFormat.AadBytes];
        SealedFormat.WriteNonce(nonce, _partNumber, _packageIndex);
        SealedFormat.WriteAad(aad, _partNumber, _packageIndex, final);
        var plaintext = package.AsSpan(0, _buffered);
        _aes.Encrypt(nonce, plaintext, plaintext, package.AsSpan(_buffered, SealedFormat.TagBytes), aad);
        var sealedBytes = _buffered + SealedFormat.TagBytes;
        _packageIndex++;
        _buffered = 0;
        return sealedBytes;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            // The buffer may still hold unsealed plaintext.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }
}
