using System.Buffers.Binary;
using CloudSecReq.Erasure.Checksums;

namespace CloudSecReq.Erasure.Shards;

/// The fixed 64-byte header at the start of every shard file (docs/erasure-format.md):
/// what a shard is, so that a volume can be read without the metadata database.
public readonly record struct ShardHeader(
    int DataShards,
    int ParityShards,
    int ShardIndex,
    int BlockSizeBytes,
    long ObjectLengthBytes,
    ChecksumAlgorithm Checksum = ChecksumAlgorithm.Crc32C)
{
    /// Bytes the header takes on disk.
    public const int SizeBytes = 64;

    /// The only format version this library writes and reads.
    public const ushort FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "CSRSHARD"u8;

    /// Number of stripes the object is cut into (0 for an empty object).
    public long StripeCount => ObjectLengthBytes == 0 ? 0 : (ObjectLengthBytes + StripeDataBytes - 1) / StripeDataBytes;

    /// Object bytes one full stripe carries: k x block size.
    public long StripeDataBytes => (long)DataShards * BlockSizeBytes;

    /// Block length of every shard in stripe <paramref name="stripe"/>: the block size, except in
    /// the last stripe, whose remaining r bytes are spread as ceil(r / k) per data shard.
    public int BlockBytes(long stripe)
    {
        var remaining = ObjectLengthBytes - stripe * StripeDataBytes;
        return remaining >= StripeDataBytes ? BlockSizeBytes : (int)((remaining + DataShards - 1) / DataShards);
    }

    /// Object bytes stripe <paramref name="stripe"/> carries.
    public long StripeBytes(long stripe) => Math.Min(StripeDataBytes, ObjectLengthBytes - stripe * StripeDataBytes);

    /// File offset of stripe <paramref name="stripe"/>'s block.
    public long BlockOffset(long stripe) => SizeBytes + stripe * ((long)BlockSizeBytes + 4);

    /// Exact length of a complete shard file.
    public long FileLengthBytes => StripeCount == 0 ? SizeBytes : BlockOffset(StripeCount - 1) + BlockBytes(StripeCount - 1) + 4;

    /// Writes the 64 header bytes (with their own CRC-32C) to <paramref name="destination"/>.
    public void Write(Span<byte> destination)
    {
        var header = destination[..SizeBytes];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], FormatVersion);
        header[10] = (byte)Checksum;
        BinaryPrimitives.WriteUInt16LittleEndian(header[12..], (ushort)DataShards);
        BinaryPrimitives.WriteUInt16LittleEndian(header[14..], (ushort)ParityShards);
        BinaryPrimitives.WriteUInt16LittleEndian(header[16..], (ushort)ShardIndex);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], BlockSizeBytes);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], ObjectLengthBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(header[60..], Crc32C.Compute(header[..60]));
    }

    /// <summary>Parses a header.</summary>
    /// <param name="source">At least the first 64 bytes of a shard file.</param>
    /// <param name="header">The header, when the result is null.</param>
    /// <returns>null when the header is valid; otherwise why it is not (never throws for bad bytes).</returns>
    public static string? TryRead(ReadOnlySpan<byte> source, out ShardHeader header)
    {
        header = default;
        if (source.Length < SizeBytes)
        {
            return $"the file is {source.Length} bytes, shorter than its {SizeBytes}-byte header";
        }
        if (!source[..8].SequenceEqual(Magic))
        {
            return "the file does not start with the shard magic CSRSHARD";
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(source[60..]) != Crc32C.Compute(source[..60]))
        {
            return "the header checksum does not match";
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(source[8..]);
        if (version != FormatVersion)
        {
            return $"format version {version} is not supported (expected {FormatVersion})";
        }
        if (source[10] != (byte)ChecksumAlgorithm.Crc32C)
        {
            return $"checksum algorithm {source[10]} is not supported";
        }
        int k = BinaryPrimitives.ReadUInt16LittleEndian(source[12..]);
        int m = BinaryPrimitives.ReadUInt16LittleEndian(source[14..]);
        int index = BinaryPrimitives.ReadUInt16LittleEndian(source[16..]);
        var blockSize = BinaryPrimitives.ReadInt32LittleEndian(source[20..]);
        var length = BinaryPrimitives.ReadInt64LittleEndian(source[24..]);
        if (k < 1 || m < 1 || k + m > 256 || index >= k + m || blockSize < 1 || length < 0)
        {
            return $"the header fields are out of range (k {k}, m {m}, index {index}, block size {blockSize}, length {length})";
        }
        header = new ShardHeader(k, m, index, blockSize, length, ChecksumAlgorithm.Crc32C);
        return null;
    }

    /// The checksum stored after the block of stripe <paramref name="stripe"/>.
    public static uint BlockChecksum(ReadOnlySpan<byte> block, long stripe) =>
        FinishBlockChecksum(Crc32C.Update(0xFFFFFFFF, block), stripe);

    /// Completes a block checksum from the raw CRC-32C register after all block bytes (for blocks
    /// checked piece by piece).
    internal static uint FinishBlockChecksum(uint crc, long stripe)
    {
        Span<byte> index = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(index, stripe);
        return ~Crc32C.Update(crc, index);
    }
}
