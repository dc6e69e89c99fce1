namespace CloudSecReq.Erasure.Shards;

/// The reader's view of one shard stream: its header (read on first use), where the stream is,
/// and whether it has been given up on.
internal sealed class ShardCursor(int index, Stream? stream)
{
    public int Index { get; } = index;

    public Stream? Stream { get; } = stream;

    public bool HeaderRead { get; set; }

    public ShardHeader? Header { get; set; }

    /// Unusable from now on (missing, bad header, truncated, I/O error).
    public bool Dead { get; set; }

    /// Where a non-seekable stream is; ignored for seekable ones.
    public long Position { get; set; }
}
