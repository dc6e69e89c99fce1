using System.Collections.Concurrent;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Gateway.Storage.Shards;

/// <summary>One shared Reed-Solomon codec per layout (codecs cache their decode plans). Thread-safe.</summary>
internal static class Codecs
{
    private static readonly ConcurrentDictionary<(int K, int M), ReedSolomonCodec> s_codecs = new();

    public static ReedSolomonCodec For(int dataShards, int parityShards) =>
        s_codecs.GetOrAdd((dataShards, parityShards), l => new ReedSolomonCodec(l.K, l.M));
}
