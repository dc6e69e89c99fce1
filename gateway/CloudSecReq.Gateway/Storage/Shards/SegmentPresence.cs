using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Storage.Shards;

/// <summary>
/// A cheap check that a stored segment can still be read, for CompleteMultipartUpload (issue 11):
/// for each shard, its volume is in use, its file opens, its 64-byte header is valid and describes
/// this shard of this segment, and the file has the length that header implies. One header read per
/// shard; the blocks' CRC-32C are not read (the scrubber does that in the background, and a read
/// rebuilds around a bad block), so a part can pass with bad blocks in more than m shards of one stripe
/// (bitrot the scrubber had not found yet), never with a shard file gone, cut or replaced.
/// </summary>
internal static class SegmentPresence
{
    /// <summary>Checks every shard of <paramref name="segment"/> (not inline). Throws only on cancellation.</summary>
    public static async Task<SegmentPresenceResult> CheckAsync(BlobStore blobs, DataSegment segment, CancellationToken ct)
    {
        int intact = 0, outOfUse = 0;
        var problems = new List<string>();
        var expected = new ShardHeader(segment.DataShards, segment.ParityShards, 0, segment.BlockBytes, segment.Length);
        for (var i = 0; i < segment.Shards.Count; i++)
        {
            var shard = segment.Shards[i];
            if (!blobs.HasVolume(shard.VolumeId))
            {
                outOfUse++;
                problems.Add($"shard {i}: volume {shard.VolumeId} is not in use");
                continue;
            }
            if (await ProblemAsync(blobs, shard, i, expected, ct) is { } problem)
            {
                problems.Add($"shard {i}: {problem}");
                continue;
            }
            intact++;
        }
        return new SegmentPresenceResult(intact, outOfUse, problems);
    }

    private static async Task<string?> ProblemAsync(BlobStore blobs, ShardBlob shard, int index, ShardHeader expected, CancellationToken ct)
    {
        try
        {
            await using var stream = blobs.TryOpenRead(shard);
            if (stream is null)
            {
                return "missing";
            }
            var bytes = new byte[ShardHeader.SizeBytes];
            var read = await stream.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, ct);
            if (ShardHeader.TryRead(bytes.AsSpan(0, read), out var header) is { } invalid)
            {
                return invalid;
            }
            if (header != expected with { ShardIndex = index })
            {
                return "the header is not this shard's";
            }
            return stream.Length == header.FileLengthBytes ? null : $"{stream.Length} bytes, {header.FileLengthBytes} expected";
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }
}
