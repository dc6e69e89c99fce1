namespace CloudSecReq.Erasure.Codec;

/// What <see cref="ReedSolomonCodec"/> does once every shard is pinned.
internal enum CodecOperation
{
    Encode,
    Verify,
    Reconstruct,
    Update,
}
