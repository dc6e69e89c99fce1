using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Checksums;

/// <summary>An incremental checksum of one algorithm over a stream of bytes. Not thread-safe.</summary>
/// <remarks>
/// CRC-32 and CRC-64/NVME come from System.IO.Hashing; CRC-32C is the erasure library's, which
/// measured about 4× faster (docs/performance.md, "CRCs of x-amz-checksum-*").
/// </remarks>
internal sealed class StreamChecksum : IDisposable
{
    private readonly IncrementalHash? _hash;
    private readonly Crc32? _crc32;
    private readonly Crc64? _crc64;
    private uint _crc32C = 0xFFFFFFFF;

    public StreamChecksum(ChecksumAlgorithm algorithm)
    {
        Algorithm = algorithm;
        switch (algorithm)
        {
            case ChecksumAlgorithm.Crc32: _crc32 = new Crc32(); break;
            case ChecksumAlgorithm.Crc32C: break;
            case ChecksumAlgorithm.Crc64Nvme: _crc64 = new Crc64(Crc64ParameterSet.Nvme); break;
            case ChecksumAlgorithm.Sha1: _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1); break;
            default: _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256); break;
        }
    }

    public ChecksumAlgorithm Algorithm { get; }

    public void Append(ReadOnlySpan<byte> data)
    {
        switch (Algorithm)
        {
            case ChecksumAlgorithm.Crc32: _crc32!.Append(data); break;
            case ChecksumAlgorithm.Crc32C: _crc32C = Erasure.Checksums.Crc32C.Update(_crc32C, data); break;
            case ChecksumAlgorithm.Crc64Nvme: _crc64!.Append(data); break;
            default: _hash!.AppendData(data); break;
        }
    }

    /// <summary>The digest, big-endian for CRCs, as S3 encodes it before base64.</summary>
    public byte[] GetDigest()
    {
        switch (Algorithm)
        {
            case ChecksumAlgorithm.Crc32:
            case ChecksumAlgorithm.Crc32C:
                var b4 = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(b4, _crc32?.GetCurrentHashAsUInt32() ?? ~_crc32C);
                return b4;
            case ChecksumAlgorithm.Crc64Nvme:
                var b8 = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(b8, _crc64!.GetCurrentHashAsUInt64());
                return b8;
            default:
                return _hash!.GetHashAndReset();
        }
    }

    public string GetBase64() => Convert.ToBase64String(GetDigest());

    public static byte[] Compute(ChecksumAlgorithm algorithm, ReadOnlySpan<byte> data)
    {
        using var c = new StreamChecksum(algorithm);
        c.Append(data);
        return c.GetDigest();
    }

    public void Dispose() => _hash?.Dispose();
}
