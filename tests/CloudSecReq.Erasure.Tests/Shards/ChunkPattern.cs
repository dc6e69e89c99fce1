namespace CloudSecReq.Erasure.Tests.Shards;

/// How a test cuts an object into writes to a StripeWritingStream.
public enum ChunkPattern
{
    /// One write of the whole object.
    Whole,

    /// One byte per write.
    OneByte,

    /// Random sizes up to two stripes.
    Random,

    /// 1.5 stripes + 1 byte per write, so that writes start and end anywhere in a stripe.
    SpanningStripes,

    /// Random sizes through the synchronous Write.
    SyncRandom,
}
