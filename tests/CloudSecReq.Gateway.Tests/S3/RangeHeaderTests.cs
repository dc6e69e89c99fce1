using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3;

namespace CloudSecReq.Gateway.Tests.S3;

public sealed class RangeHeaderTests
{
    [Theory]
    [InlineData("bytes=0-9", 100, 0, 10)]
    [InlineData("bytes=90-", 100, 90, 10)]
    [InlineData("bytes=-10", 100, 90, 10)]
    [InlineData("bytes=-500", 100, 0, 100)]
    [InlineData("bytes=95-200", 100, 95, 5)]
    public void Range_SatisfiableRange_GivesStartAndLength(string header, long size, long start, long length) =>
        Assert.Equal(new ByteRange(start, length), ObjectRequestHeaders.Range(header, size));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-1")]
    [InlineData("bytes=0-1,5-6")]
    [InlineData("bytes=5-1")]
    [InlineData("bytes=abc")]
    public void Range_AbsentOrNotASingleRange_MeansWholeObject(string? header) => Assert.Null(ObjectRequestHeaders.Range(header, 100));

    [Theory]
    [InlineData("bytes=100-")]
    [InlineData("bytes=-0")]
    public void Range_Unsatisfiable_IsInvalidRange416WithTheObjectSize(string header)
    {
        var e = S3Errors.From(Assert.Throws<ObjectException>(() => ObjectRequestHeaders.Range(header, 100)));
        Assert.Equal(S3ErrorCode.InvalidRange, e.Code);
        Assert.Equal(416, e.Status);
        Assert.Equal(["RangeRequested", "ActualObjectSize"], e.Details.Keys);
        Assert.Equal("100", e.Details["ActualObjectSize"]);
    }
}
