using CloudSecReq.Gateway.Encryption;

namespace CloudSecReq.Gateway.Tests.Encryption;

public sealed class SegmentKeyTests
{
    // HKDF-SHA256 computed independently (Python hmac/hashlib) from data key 00…1f, salt a0…af.
    [Theory]
    [InlineData(7, "738ff2f3c5c8fa3bfa9cc4b1c336bee1c9a31a9d931ca50ff596506162ccf1ec")]
    [InlineData(0, "1e70b7d796cf37077a90bcd665e0e6a84ba0667156e58be00783dd6f947e2abd")]
    public void Derive_KnownInputs_MatchesIndependentHkdf(int partNumber, string expectedHex)
    {
        using var key = SegmentSamples.Key(partNumber);
        Assert.Equal(expectedHex, Convert.ToHexString(key.Bytes).ToLowerInvariant());
        Assert.Equal(partNumber, key.PartNumber);
    }

    [Fact]
    public void Derive_OtherPartSaltOrDataKey_GivesOtherKey()
    {
        using var baseKey = SegmentSamples.Key(1);
        using var otherPart = SegmentSamples.Key(2);
        using var otherSalt = SegmentSamples.Key(1, salt: DataKeys.NewSalt());
        using var otherDataKey = SegmentSamples.Key(1, dataKey: DataKeys.NewPinned());
        var keys = new[] { baseKey, otherPart, otherSalt, otherDataKey }.Select(k => Convert.ToHexString(k.Bytes)).ToHashSet();
        Assert.Equal(4, keys.Count);
    }

    [Fact]
    public void Dispose_AfterUse_ZeroesBytesAndBlocksAccess()
    {
        var key = SegmentSamples.Key();
        var bytes = key.Bytes;
        Assert.Contains(bytes.ToArray(), b => b != 0);
        key.Dispose();
        Assert.True(bytes.IndexOfAnyExcept((byte)0) < 0);
        Assert.Throws<ObjectDisposedException>(() => key.Bytes.Length);
        key.Dispose();
    }

    [Theory]
    [InlineData(31, 16, 1)]
    [InlineData(33, 16, 1)]
    [InlineData(32, 15, 1)]
    [InlineData(32, 0, 1)]
    public void Derive_WrongLengths_Throws(int dataKeyBytes, int saltBytes, int partNumber) =>
        Assert.Throws<ArgumentException>(() => SegmentKey.Derive(new byte[dataKeyBytes], new byte[saltBytes], partNumber));

    [Fact]
    public void Derive_NegativePartNumber_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentKey.Derive(new byte[32], new byte[16], -1));

    [Fact]
    public void DataKeys_New_AreFreshAndSized()
    {
        var a = DataKeys.NewPinned();
        var b = DataKeys.NewPinned();
        Assert.Equal(32, a.Length);
        Assert.NotEqual(a, b);
        Assert.Equal(16, DataKeys.NewSalt().Length);
        Assert.NotEqual(DataKeys.NewSalt(), DataKeys.NewSalt());
    }
}
