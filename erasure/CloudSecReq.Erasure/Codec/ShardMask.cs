namespace CloudSecReq.Erasure.Codec;

/// Which of up to 256 shards are present: the key of the decode-plan cache.
internal readonly record struct ShardMask(ulong Word0, ulong Word1, ulong Word2, ulong Word3)
{
    public static ShardMask From(ReadOnlySpan<bool> present)
    {
        Span<ulong> words = stackalloc ulong[4];
        words.Clear();
        for (var i = 0; i < present.Length; i++)
        {
            if (present[i])
            {
                words[i >> 6] |= 1UL << (i & 63);
            }
        }
        return new ShardMask(words[0], words[1], words[2], words[3]);
    }
}
