namespace CloudSecReq.Gateway.Storage.Shards;

/// <summary>
/// One shard file being written, as the stripe writer sees it: a seekable write stream that turns
/// the first I/O failure of its volume into a recorded <see cref="Failure"/> and drops later writes,
/// so that one failing disk does not fail a write that the other shards can still carry (the write
/// quorum decides at commit). Not thread-safe.
/// </summary>
internal sealed class ShardSink(FileStream file) : Stream
{
    /// <summary>The first failure, or null while every write succeeded.</summary>
    public Exception? Failure { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => true;
    public override bool CanWrite => true;
    public override long Length => file.Length;

    public override long Position
    {
        get => file.Position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Failure is not null)
        {
            return;
        }
        try
        {
            await file.WriteAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failure = e;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin)
    {
        if (Failure is not null)
        {
            return offset;
        }
        try
        {
            return file.Seek(offset, origin);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failure = e;
            return offset;
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
