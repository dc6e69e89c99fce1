namespace CloudSecReq.Bench;

/// <summary>
/// A read-only, seekable stream of <c>length</c> bytes that repeats a random pattern, generated on
/// the fly: objects larger than memory can be uploaded without buffering them. Byte <c>p</c> is
/// <c>pattern[(start + p) % pattern.Length]</c>.
/// </summary>
internal sealed class SyntheticStream(byte[] pattern, long start, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, Math.Max(0, length - _position));
        Fill(pattern, start + _position, buffer[..n]);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    /// <summary>Writes the pattern starting at absolute pattern position <paramref name="from"/>.</summary>
    public static void Fill(byte[] pattern, long from, Span<byte> destination)
    {
        var at = (int)(from % pattern.Length);
        while (!destination.IsEmpty)
        {
            var n = Math.Min(destination.Length, pattern.Length - at);
            pattern.AsSpan(at, n).CopyTo(destination);
            destination = destination[n..];
            at = 0;
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
