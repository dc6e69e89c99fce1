namespace CloudSecReq.Erasure.Shards;

/// Why a shard, or one block of it, could not be used.
public enum ShardFaultKind
{
    /// No stream was given for the shard.
    Missing,

    /// The header is unreadable: wrong magic, checksum, version or fields.
    HeaderInvalid,

    /// The header is valid but describes another shard or layout than expected.
    HeaderMismatch,

    /// The file ends before a block it should hold.
    Truncated,

    /// A block's checksum does not match its bytes (bitrot or tampering).
    ChecksumMismatch,

    /// Reading the stream failed with an I/O error.
    ReadError,

    /// The file holds bytes after its last block (found by <see cref="ShardVerifier"/>).
    TrailingBytes,
}
