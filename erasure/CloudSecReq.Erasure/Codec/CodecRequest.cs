namespace CloudSecReq.Erasure.Codec;

/// The arguments of one <see cref="ReedSolomonCodec"/> call, carried down the pinning recursion.
internal unsafe ref struct CodecRequest(CodecOperation operation, int length, ReadOnlySpan<bool> present, bool dataOnly)
{
    public readonly CodecOperation Operation = operation;
    public readonly int Length = length;
    public readonly ReadOnlySpan<bool> Present = present;
    public readonly bool DataOnly = dataOnly;
    public bool Result;
    public byte* Delta;
    public int DataIndex;
    public int Offset;
}
