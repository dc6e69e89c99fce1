using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Checksums;

/// <summary>An incremental checksum of one algorithm over a stream of bytes. Not thread-safe.</summary>
internal sealed class StreamChecksum : IDisposable
{
    private readonly IncrementalHash? _hash;
    private ulong _crc;

    public StreamChecksum(ChecksumAlgorithm algorithm)
    {
        Algorithm = algorithm;
        _hash = algorithm switch
        {
            ChecksumAlgorithm.Sha1 => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
            ChecksumAlgorithm.Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
            _ => null,
        };
    }

    public ChecksumAlgorithm Algorithm { get; }

    public void Append(ReadOnlySpan<byte> data)
    {
        switch (Algorithm)
        {
            case ChecksumAlgorithm.Crc32: _crc = Crc32.Append((uint)_crc, data); break;
            case ChecksumAlgorithm.Crc32C: _crc = Crc32C.Append((uint)_crc, data); break;
            case ChecksumAlgorithm.Crc64Nvme: _crc = Crc64Nvme.Append(_crc, data); break;
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
                BinaryPrimitives.WriteUInt32BigEndian(b4, (uint)_crc);
                return b4;
            case ChecksumAlgorithm.Crc64Nvme:
                var b8 = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(b8, _crc);
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
