namespace CloudSecReq.Erasure.Tests.Shards;

/// A MemoryStream that counts the bytes read from it.
internal sealed class CountingStream(byte[] bytes) : MemoryStream(bytes)
{
    public long BytesRead { get; private set; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = base.Read(buffer, offset, count);
        BytesRead += read;
        return read;
    }

    // MemoryStream's span and async reads of a derived type end up in Read(byte[], ...).
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));
}
