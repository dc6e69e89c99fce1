using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Checks one stored shard file of a segment, paced: it must open, pass <see cref="ShardVerifier"/>
/// (header, every block's CRC-32C, length) and describe this segment's layout. Shared by the
/// healer and the scrubber. The shard's volume must be usable (the caller checks).
/// </summary>
internal static class ShardCheck
{
    /// <summary>What is wrong with shard <paramref name="index"/> (null when it is good), and the bytes read.</summary>
    public static async Task<(string? Problem, long BytesRead)> CheckAsync(BlobStore blobs, DataSegment segment, int index, OverwriteThrottle throttle, CancellationToken ct)
    {
        await using var stream = blobs.TryOpenRead(segment.Shards[index]);
        if (stream is null)
        {
            return ("Missing", 0);
        }
        var verified = await ShardVerifier.VerifyAsync(new PacedStream(stream, throttle), index, ct);
        if (!verified.IsHealthy)
        {
            return (string.Join(", ", verified.Faults.Take(3).Select(f => f.Kind + (f.Stripe is { } s ? $" in stripe {s}" : ""))), verified.BytesRead);
        }
        if (verified.Header is { } h && (h.DataShards != segment.DataShards || h.ParityShards != segment.ParityShards
            || h.BlockSizeBytes != segment.BlockBytes || h.ObjectLengthBytes != segment.Length))
        {
            return ("the file is a shard of another object", verified.BytesRead);
        }
        return (null, verified.BytesRead);
    }
}
