using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;

namespace CloudSecReq.Gateway.Tests.Objects;

public sealed class ByteRangeTests
{
    private static ObjectRecord Record(long size, params long[] partSizes) => new()
    {
        Bucket = "b", Key = "k", Size = size, ETag = "\"e\"", LastModified = DateTimeOffset.UnixEpoch, Segments = [],
        PartsCount = partSizes.Length, PartSizes = partSizes,
    };

    [Fact]
    public void OfPart_MultipartObject_IsThatPartsBytes() => Assert.Equal(new ByteRange(5, 3), ByteRange.OfPart(Record(10, 5, 3, 2), 2));

    [Fact]
    public void OfPart_SinglePutPartOne_IsTheWholeObject() => Assert.Equal(new ByteRange(0, 7), ByteRange.OfPart(Record(7), 1));

    [Theory]
    [InlineData(0, 2)]
    [InlineData(3, 4)]
    public void OfPart_NoSuchPart_IsInvalidPart(int parts, int partNumber) =>
        Assert.Equal(ObjectFailure.InvalidPart,
            Assert.Throws<ObjectException>(() => ByteRange.OfPart(parts == 0 ? Record(7) : Record(10, 5, 3, 2), partNumber)).Failure);
}
