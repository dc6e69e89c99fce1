namespace CloudSecReq.Erasure.Shards;

/// How the blocks of a shard file are checksummed (byte 10 of the header).
public enum ChecksumAlgorithm : byte
{
    /// CRC-32C of the block, continued over the stripe index (8 bytes, little-endian), stored as
    /// 4 bytes little-endian after the block.
    Crc32C = 1,
}
