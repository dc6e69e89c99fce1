using System.Buffers;
using System.Security.Cryptography;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Storage;

/// <summary>Streams a byte range of an object whose bytes lie in consecutive segments, with bounded memory.</summary>
internal static class SegmentReader
{
    private const int BufferBytes = 1024 * 1024;

    /// <param name="hash">When given, every byte copied is also appended to it.</param>
    public static async Task CopyRangeAsync(BlobStore blobs, IReadOnlyList<DataSegment> segments, long offset, long length, Stream destination, IncrementalHash? hash, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            long segmentStart = 0;
            foreach (var segment in segments)
            {
                if (length <= 0)
                {
                    break;
                }
                var segmentEnd = segmentStart + segment.Length;
                if (offset < segmentEnd)
                {
                    var within = offset - segmentStart;
                    var take = Math.Min(length, segment.Length - within);
                    await using var source = blobs.OpenRead(segment, within);
                    var left = take;
                    while (left > 0)
                    {
                        var n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferBytes, left)), ct);
                        if (n == 0)
                        {
                            throw new IOException($"Blob {segment.BlobId} on volume {segment.VolumeId} is shorter than its metadata says.");
                        }
                        hash?.AppendData(buffer, 0, n);
                        await destination.WriteAsync(buffer.AsMemory(0, n), ct);
                        left -= n;
                    }
                    offset += take;
                    length -= take;
                }
                segmentStart = segmentEnd;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
