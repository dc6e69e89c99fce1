namespace CloudSecReq.Erasure.Tests.Shards;

/// A seekable stream whose writes fail, like a volume that went away.
internal sealed class FailingWriteStream : MemoryStream
{
    public override void Write(byte[] buffer, int offset, int count) => throw new IOException("The volume is gone.");

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromException(new IOException("The volume is gone."));
}
