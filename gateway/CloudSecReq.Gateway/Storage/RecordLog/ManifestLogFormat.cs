using System.Buffers.Binary;
using System.Globalization;
using CloudSecReq.Erasure.Checksums;
using Microsoft.Win32.SafeHandles;

namespace CloudSecReq.Gateway.Storage.RecordLog;

/// <summary>
/// The on-disk framing of <see cref="ManifestLog"/> records (docs/manifest-log.md). Each record is a
/// 16-byte header then the payload, all little-endian:
/// <c>magic "CSRL" | payload length u32 | header CRC u32 | payload CRC u32 | payload</c>.
/// The header CRC (CRC-32C of magic and length) lets a scanner trust the length, and so step over
/// the record, when the payload is corrupt or was overwritten on release; the payload CRC
/// (CRC-32C of length and payload) says whether the payload is intact. A released record's payload
/// is random and its payload CRC is the complement of the random payload's CRC, so released and
/// corrupt records can be told apart. A header that does not check out is resynchronised over by
/// searching for the next magic whose header checks out.
/// </summary>
internal static class ManifestLogFormat
{
    public const int HeaderBytes = 16;
    public const uint Magic = 0x4C525343; // "CSRL" read as little-endian
    // A record is read and written in one piece; bounds the batch buffer and what a scanner trusts.
    public const int MaxPayloadBytes = 16 * 1024 * 1024;
    public const string SegmentSuffix = ".log";

    /// <summary>Where a record's payload CRC lies; release overwrites from here to the payload's end.</summary>
    public const int PayloadCrcOffset = 12;
    private const int ScanWindowBytes = 1024 * 1024;
    private static ReadOnlySpan<byte> MagicBytes => "CSRL"u8;

    public static string SegmentName(long number) => number.ToString("D8", CultureInfo.InvariantCulture) + SegmentSuffix;

    /// <summary>Parses <c>digits.log</c>; anything else (including paths) is not a segment.</summary>
    public static bool TryParseSegmentName(string name, out long number)
    {
        number = 0;
        if (!name.EndsWith(SegmentSuffix, StringComparison.Ordinal))
        {
            return false;
        }
        var digits = name.AsSpan(0, name.Length - SegmentSuffix.Length);
        if (digits.Length is 0 or > 18)
        {
            return false;
        }
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        number = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return number > 0;
    }

    /// <summary>Fills <paramref name="header"/> (<see cref="HeaderBytes"/> bytes) for <paramref name="payload"/>.</summary>
    public static void WriteHeader(Span<byte> header, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Compute(header[..8]));
        BinaryPrimitives.WriteUInt32LittleEndian(header[PayloadCrcOffset..], PayloadCrc(header[4..8], payload));
    }

    /// <summary>The payload length if the header checks out (magic, header CRC, length bound), else -1.</summary>
    public static int ReadHeader(ReadOnlySpan<byte> header)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != Crc32C.Compute(header[..8]))
        {
            return -1;
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        return length <= MaxPayloadBytes ? (int)length : -1;
    }

    public static bool IsIntact(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload) =>
        BinaryPrimitives.ReadUInt32LittleEndian(header[PayloadCrcOffset..]) == PayloadCrc(header[4..8], payload);

    public static bool IsReleased(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload) =>
        BinaryPrimitives.ReadUInt32LittleEndian(header[PayloadCrcOffset..]) == ~PayloadCrc(header[4..8], payload);

    /// <summary>
    /// Turns the payload CRC and payload of a framed record (<paramref name="tail"/>: from the payload
    /// CRC field to the end of the payload) into the released form: random payload, complemented CRC.
    /// </summary>
    public static void FillReleased(Span<byte> tail, int payloadLength)
    {
        System.Security.Cryptography.RandomNumberGenerator.Fill(tail[4..]);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(tail, ~PayloadCrc(length, tail[4..]));
    }

    private static uint PayloadCrc(ReadOnlySpan<byte> length, ReadOnlySpan<byte> payload) =>
        ~Crc32C.Update(Crc32C.Update(0xFFFFFFFF, length), payload);

    /// <summary>
    /// Walks the records of one segment file in <c>[0, limit)</c>: every record whose header checks
    /// out and which lies wholly below <paramref name="limit"/>, in order, with its payload when
    /// <paramref name="readPayloads"/> (null if corrupt or released). Gaps (headers that do not check
    /// out, torn bytes) are resynchronised over and counted in <paramref name="stats"/>.
    /// Synchronous positional reads; not thread-safe with respect to <paramref name="stats"/>.
    /// </summary>
    public static IEnumerable<(long Offset, int Length, byte[]? Payload, bool Released)> Records(
        SafeFileHandle file, long limit, bool readPayloads, ManifestLogScanStats stats)
    {
        var buffer = new byte[ScanWindowBytes];
        long bufferStart = 0;
        var bufferLength = 0;

        // Makes buffer hold [pos, pos + count) (count <= limit - pos); returns the index of pos in it.
        int Ensure(long pos, int count)
        {
            if (pos >= bufferStart && pos + count <= bufferStart + bufferLength)
            {
                return (int)(pos - bufferStart);
            }
            if (count > buffer.Length)
            {
                buffer = new byte[count];
            }
            var want = (int)Math.Min(buffer.Length, limit - pos);
            var got = 0;
            while (got < want)
            {
                var n = RandomAccess.Read(file, buffer.AsSpan(got, want - got), pos + got);
                if (n == 0)
                {
                    break;
                }
                got += n;
            }
            bufferStart = pos;
            bufferLength = got;
            if (got < count)
            {
                throw new IOException("Manifest log segment shrank while being scanned.");
            }
            return 0;
        }

        long pos = 0;
        var inGap = false;
        while (limit - pos >= HeaderBytes)
        {
            var at = Ensure(pos, HeaderBytes);
            var length = ReadHeader(buffer.AsSpan(at, HeaderBytes));
            if (length >= 0 && pos + HeaderBytes + length <= limit)
            {
                inGap = false;
                byte[]? payload = null;
                var released = false;
                if (readPayloads)
                {
                    at = Ensure(pos, HeaderBytes + length);
                    var header = buffer.AsSpan(at, HeaderBytes);
                    var body = buffer.AsSpan(at + HeaderBytes, length);
                    if (IsIntact(header, body))
                    {
                        payload = body.ToArray();
                    }
                    else
                    {
                        released = IsReleased(header, body);
                    }
                }
                yield return (pos, length, payload, released);
                pos += HeaderBytes + length;
                continue;
            }
            if (!inGap)
            {
                inGap = true;
                stats.Resyncs++;
            }
            var next = FindMagic(pos + 1);
            stats.SkippedBytes += next - pos;
            pos = next;
        }
        if (pos < limit)
        {
            stats.SkippedBytes += limit - pos;
        }

        // The offset of the next magic at or after start, or limit if there is none.
        long FindMagic(long start)
        {
            while (limit - start >= MagicBytes.Length)
            {
                var count = (int)Math.Min(ScanWindowBytes, limit - start);
                var at = Ensure(start, count);
                var i = buffer.AsSpan(at, count).IndexOf(MagicBytes);
                if (i >= 0)
                {
                    return start + i;
                }
                // A magic may straddle the window's end.
                start += count - (MagicBytes.Length - 1);
            }
            return limit;
        }
    }
}
