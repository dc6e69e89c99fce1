using System.Buffers.Binary;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Shards;

/// <summary>A write-only stream that erasure-codes what is written to it into k + m shard files in
/// the format of docs/erasure-format.md, without knowing the object length in advance: the bytes
/// of <see cref="StripeWriter"/> for the same object, codec and block size.</summary>
/// <remarks>
/// <para>The first write writes provisional headers whose checksum is deliberately wrong, so that a
/// file left behind by a crash or an abandoned write never reads as a valid shorter object
/// (readers and <see cref="ShardVerifier"/> report it as <see cref="ShardFaultKind.HeaderInvalid"/>).
/// Written bytes are buffered in one stripe buffer (k + m blocks; memory does not grow with the
/// object); each full stripe is encoded and its k + m blocks and checksums are written to the shard
/// streams in parallel. <see cref="FinishAsync"/> writes the last, partial stripe and then the final
/// headers. Nothing is durable until the caller flushes the shard streams after FinishAsync.</para>
/// <para>Not thread-safe: one writer, one operation at a time. An exception from a write or from
/// FinishAsync (an I/O error on a shard, cancellation) leaves the shard files incomplete, and every
/// later call throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public sealed class StripeWritingStream : Stream
{
    private readonly ReedSolomonCodec _codec;
    private readonly IReadOnlyList<Stream> _shards;
    private readonly int _blockSizeBytes;
    private readonly int _stripeDataBytes;
    private readonly long? _declaredLengthBytes;
    private readonly long[] _headerPositions;
    private readonly Task[] _writes;
    private readonly StripeBuffer _stripe;

    private int _bufferedBytes;
    private long _stripeIndex;
    private long _lengthBytes;
    private bool _headersWritten;
    private bool _finished;
    private bool _failed;
    private bool _disposed;

    /// <summary>Starts an object of unknown length.</summary>
    /// <param name="codec">The code to use; its k and m go into every shard header.</param>
    /// <param name="blockSizeBytes">Bytes per shard per stripe (e.g. 1 MiB); 1 to 256 MiB.</param>
    /// <param name="shards">k + m streams, shard i at index i; each must be writable and seekable
    /// (for the final header). They are written from their current position (normally 0, where
    /// the header goes), are not flushed and not disposed: the caller owns them and decides when
    /// they are durable.</param>
    /// <exception cref="ArgumentException">Wrong number of shard streams, or one is null, not
    /// writable or not seekable.</exception>
    public StripeWritingStream(ReedSolomonCodec codec, int blockSizeBytes, IReadOnlyList<Stream> shards)
        : this(codec, blockSizeBytes, shards, null)
    {
    }

    // With a declared length the final headers are written first and never rewritten, so the shard
    // streams need not be seekable (StripeWriter's contract); more bytes than declared are refused.
    internal StripeWritingStream(ReedSolomonCodec codec, int blockSizeBytes, IReadOnlyList<Stream> shards, long? declaredLengthBytes)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSizeBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockSizeBytes, 256 * 1024 * 1024);
        if (shards.Count != codec.TotalShards)
        {
            throw new ArgumentException($"Expected {codec.TotalShards} shard streams, got {shards.Count}.", nameof(shards));
        }
        for (var i = 0; i < shards.Count; i++)
        {
            if (shards[i] is not { CanWrite: true } shard || (declaredLengthBytes is null && !shard.CanSeek))
            {
                throw new ArgumentException($"Shard stream {i} must be {(declaredLengthBytes is null ? "writable and seekable" : "writable")}.", nameof(shards));
            }
        }
        _codec = codec;
        _shards = shards;
        _blockSizeBytes = blockSizeBytes;
        _stripeDataBytes = checked(codec.DataShards * blockSizeBytes);
        _declaredLengthBytes = declaredLengthBytes;
        _headerPositions = new long[shards.Count];
        _writes = new Task[shards.Count];
        _stripe = new StripeBuffer(codec.TotalShards, blockSizeBytes);
    }

    /// Always false.
    public override bool CanRead => false;

    /// Always false.
    public override bool CanSeek => false;

    /// True until the stream is finished, failed or disposed.
    public override bool CanWrite => !_finished && !_failed && !_disposed;

    /// Object bytes written so far.
    public override long Length => _lengthBytes;

    /// Object bytes written so far; setting it throws <see cref="NotSupportedException"/>.
    public override long Position
    {
        get => _lengthBytes;
        set => throw new NotSupportedException();
    }

    /// <summary>Appends object bytes; writes every stripe they complete to the shard streams.</summary>
    /// <exception cref="InvalidOperationException">The stream was finished or a previous call failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        if (buffer.IsEmpty)
        {
            return;
        }
        if (_declaredLengthBytes is long declared && buffer.Length > declared - _lengthBytes)
        {
            throw new InvalidDataException($"The source holds more than the declared {declared} bytes.");
        }
        try
        {
            await WriteHeadersOnceAsync(provisional: _declaredLengthBytes is null, cancellationToken).ConfigureAwait(false);
            while (!buffer.IsEmpty)
            {
                var space = FreeSpace();
                var taken = Math.Min(space.Length, buffer.Length);
                buffer.Span[..taken].CopyTo(space.Span);
                buffer = buffer[taken..];
                await CommitAsync(taken, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <inheritdoc cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Appends object bytes, blocking on the asynchronous path while stripes are written.</summary>
    /// <inheritdoc cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>Writes the last, partial stripe (blocks of ceil(r / k) bytes, zero-padded) and the
    /// final headers, which name the object length; each shard stream is left at its end.</summary>
    /// <returns>The object length in bytes.</returns>
    /// <exception cref="InvalidOperationException">Already finished, or a previous call failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public async Task<long> FinishAsync(CancellationToken cancellationToken)
    {
        EnsureWritable();
        try
        {
            if (_bufferedBytes > 0)
            {
                var k = _codec.DataShards;
                var blockBytes = (_bufferedBytes + k - 1) / k;
                _stripe.Respread(k, _blockSizeBytes, _bufferedBytes, blockBytes);
                await WriteStripeAsync(blockBytes, cancellationToken).ConfigureAwait(false);
            }
            if (!_headersWritten)
            {
                await WriteHeadersOnceAsync(provisional: false, cancellationToken).ConfigureAwait(false);
            }
            else if (_declaredLengthBytes is null)
            {
                var headers = Headers(provisional: false);
                for (var i = 0; i < _shards.Count; i++)
                {
                    _writes[i] = RewriteHeaderAsync(_shards[i], _headerPositions[i], headers.AsMemory(i * ShardHeader.SizeBytes, ShardHeader.SizeBytes), cancellationToken);
                }
                await Task.WhenAll(_writes).ConfigureAwait(false);
            }
            _finished = true;
            return _lengthBytes;
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// Does nothing: a partial stripe is written only by <see cref="FinishAsync"/>, and the shard
    /// streams are the caller's to flush.
    public override void Flush()
    {
    }

    /// Does nothing (see <see cref="Flush"/>).
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// Throws <see cref="NotSupportedException"/>: the stream is write-only.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// Throws <see cref="NotSupportedException"/>: the stream is forward-only.
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// Throws <see cref="NotSupportedException"/>.
    public override void SetLength(long value) => throw new NotSupportedException();

    // Reads exactly the declared length from `source` straight into the stripe buffer
    // (StripeWriter's path: no intermediate copy). Throws EndOfStreamException when it ends early.
    internal async Task FillFromAsync(Stream source, CancellationToken cancellationToken)
    {
        EnsureWritable();
        var declared = _declaredLengthBytes ?? throw new InvalidOperationException("The object length was not declared.");
        try
        {
            await WriteHeadersOnceAsync(provisional: false, cancellationToken).ConfigureAwait(false);
            while (_lengthBytes < declared)
            {
                var space = FreeSpace();
                if (space.Length > declared - _lengthBytes)
                {
                    space = space[..(int)(declared - _lengthBytes)];
                }
                var read = await source.ReadAsync(space, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new EndOfStreamException($"The source ended after {_lengthBytes} of the declared {declared} bytes.");
                }
                await CommitAsync(read, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _stripe.Dispose();
        }
        base.Dispose(disposing);
    }

    private void EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
        {
            throw new InvalidOperationException("The stripe stream is finished.");
        }
        if (_failed)
        {
            throw new InvalidOperationException("A previous write to the shard streams failed; the shard files are incomplete.");
        }
    }

    // The rest of the data block that the next object byte goes to, in the full-stripe layout.
    private Memory<byte> FreeSpace()
    {
        var offset = _bufferedBytes % _blockSizeBytes;
        return _stripe.Region(_bufferedBytes / _blockSizeBytes, _blockSizeBytes)[offset..];
    }

    // Counts bytes just placed in FreeSpace(); a full stripe is written at once, since a full last
    // stripe is laid out like any other full stripe.
    private async ValueTask CommitAsync(int bytes, CancellationToken cancellationToken)
    {
        _bufferedBytes += bytes;
        _lengthBytes += bytes;
        if (_bufferedBytes == _stripeDataBytes)
        {
            await WriteStripeAsync(_blockSizeBytes, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteStripeAsync(int blockBytes, CancellationToken cancellationToken)
    {
        _stripe.Encode(_codec, blockBytes);
        for (var i = 0; i < _shards.Count; i++)
        {
            var region = _stripe.Span(i, blockBytes + 4);
            BinaryPrimitives.WriteUInt32LittleEndian(region[blockBytes..], ShardHeader.BlockChecksum(region[..blockBytes], _stripeIndex));
        }
        for (var i = 0; i < _shards.Count; i++)
        {
            _writes[i] = _shards[i].WriteAsync(_stripe.Region(i, blockBytes + 4), cancellationToken).AsTask();
        }
        await Task.WhenAll(_writes).ConfigureAwait(false);
        _stripeIndex++;
        _bufferedBytes = 0;
    }

    // Before the first block: final headers when the length is declared or the object is being
    // finished empty, provisional ones otherwise.
    private async ValueTask WriteHeadersOnceAsync(bool provisional, CancellationToken cancellationToken)
    {
        if (_headersWritten)
        {
            return;
        }
        var headers = Headers(provisional);
        for (var i = 0; i < _shards.Count; i++)
        {
            _headerPositions[i] = _shards[i].CanSeek ? _shards[i].Position : 0;
            _writes[i] = _shards[i].WriteAsync(headers.AsMemory(i * ShardHeader.SizeBytes, ShardHeader.SizeBytes), cancellationToken).AsTask();
        }
        await Task.WhenAll(_writes).ConfigureAwait(false);
        _headersWritten = true;
    }

    private byte[] Headers(bool provisional)
    {
        var layout = new ShardHeader(_codec.DataShards, _codec.ParityShards, 0, _blockSizeBytes,
            provisional ? 0 : _declaredLengthBytes ?? _lengthBytes);
        var headers = new byte[_shards.Count * ShardHeader.SizeBytes];
        for (var i = 0; i < _shards.Count; i++)
        {
            var header = headers.AsSpan(i * ShardHeader.SizeBytes, ShardHeader.SizeBytes);
            (layout with { ShardIndex = i }).Write(header);
            if (provisional)
            {
                // An inverted checksum can never match: the file is invalid until finished.
                BinaryPrimitives.WriteUInt32LittleEndian(header[60..], ~BinaryPrimitives.ReadUInt32LittleEndian(header[60..]));
            }
        }
        return headers;
    }

    private static async Task RewriteHeaderAsync(Stream shard, long headerPosition, ReadOnlyMemory<byte> header, CancellationToken cancellationToken)
    {
        var end = shard.Position;
        shard.Seek(headerPosition, SeekOrigin.Begin);
        await shard.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        shard.Seek(end, SeekOrigin.Begin);
    }
}
