using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Overwrite;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Healing;

/// <summary>
/// Checks one stored shard file of a segment, paced: it must open, pass <see cref="ShardVerifier"/>
/// (header, every block's CRC-32C, length) and describe this segment's layout. Shared by the
/// healer and the scrubber. The shard's volume must be usable (the caller checks).
/// </summary>
internal static class ShardCheck
{
    /// <summary>
    /// What is wrong with shard <paramref name="index"/> (<see cref="ShardCheckResult.Problem"/> null
    /// when it is good), which of its blocks are bad, and the bytes read. Throws on I/O errors.
    /// </summary>
    public static async Task<ShardCheckResult> CheckAsync(BlobStore blobs, DataSegment segment, int index, OverwriteThrottle throttle, CancellationToken ct)
    {
        await using var stream = blobs.TryOpenRead(segment.Shards[index]);
        if (stream is null)
        {
            return new ShardCheckResult("Missing", 0, null);
        }
        var verified = await ShardVerifier.VerifyAsync(new PacedStream(stream, throttle), index, ct);
        if (verified.Header is { } h && (h.DataShards != segment.DataShards || h.ParityShards != segment.ParityShards
            || h.BlockSizeBytes != segment.BlockBytes || h.ObjectLengthBytes != segment.Length))
        {
            return new ShardCheckResult("the file is a shard of another object", verified.BytesRead, null);
        }
        if (verified.IsHealthy)
        {
            return new ShardCheckResult(null, verified.BytesRead, null);
        }
        var problem = string.Join(", ", verified.Faults.Take(3).Select(f => f.Kind + (f.Stripe is { } s ? $" in stripe {s}" : "")));
        return new ShardCheckResult(problem, verified.BytesRead, BadStripes(verified));
    }

    // Only block faults leave the rest of the file usable; a fault of the header or of the whole file does not.
    private static HashSet<long>? BadStripes(ShardVerifyResult verified)
    {
        if (verified.Header is not { } header)
        {
            return null;
        }
        var bad = new HashSet<long>();
        foreach (var fault in verified.Faults)
        {
            switch (fault.Kind)
            {
                case ShardFaultKind.ChecksumMismatch when fault.Stripe is { } s:
                    bad.Add(s);
                    break;
                case ShardFaultKind.Truncated when fault.Stripe is { } from:
                    for (var s = from; s < header.StripeCount; s++)
                    {
                        bad.Add(s);
                    }
                    break;
                case ShardFaultKind.TrailingBytes:
                    break;
                default:
                    return null;
            }
        }
        return bad;
    }
}
