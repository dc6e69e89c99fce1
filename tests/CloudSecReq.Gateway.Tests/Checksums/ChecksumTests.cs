using System.Buffers.Binary;
using System.Text;
using CloudSecReq.Gateway.Checksums;

namespace CloudSecReq.Gateway.Tests.Checksums;

public sealed class ChecksumTests
{
    private static readonly byte[] s_check = Encoding.ASCII.GetBytes("123456789");

    // The catalogue's check values (CRC RevEng, "123456789"), as the big-endian digest S3 encodes.
    [Theory]
    [InlineData("CRC32", 0xCBF43926ul)]
    [InlineData("CRC32C", 0xE3069283ul)]
    [InlineData("CRC64NVME", 0xAE8B14860A799888ul)]
    public void StreamChecksum_CheckString_MatchesCatalogue(string name, ulong check)
    {
        Assert.True(ChecksumNames.TryParse(name, out var algorithm));
        var digest = StreamChecksum.Compute(algorithm, s_check);
        Assert.Equal(check, digest.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(digest) : BinaryPrimitives.ReadUInt64BigEndian(digest));
    }

    [Theory]
    [InlineData("CRC32")]
    [InlineData("CRC32C")]
    [InlineData("CRC64NVME")]
    [InlineData("SHA1")]
    [InlineData("SHA256")]
    public void StreamChecksum_SplitAnywhere_EqualsOneShot(string name)
    {
        Assert.True(ChecksumNames.TryParse(name, out var algorithm));
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        var whole = StreamChecksum.Compute(algorithm, data);
        foreach (var cut in new[] { 0, 1, 7, 8, 9, 500, 999 })
        {
            using var c = new StreamChecksum(algorithm);
            c.Append(data.AsSpan(0, cut));
            c.Append(data.AsSpan(cut));
            Assert.Equal(whole, c.GetDigest());
        }
        Assert.Equal(ChecksumNames.Length(algorithm), whole.Length);
    }

    [Fact]
    public void Crc32_HelloWorld_IsWhatS3Expects()
    {
        // The S3 header value is the big-endian CRC in base64.
        using var c = new StreamChecksum(ChecksumAlgorithm.Crc32);
        c.Append("hello world"u8);
        Assert.Equal("DUoRhQ==", c.GetBase64());
    }
}
