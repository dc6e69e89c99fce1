using CloudSecReq.Gateway.S3;

namespace CloudSecReq.Gateway.Tests.S3;

public sealed class BucketNamingTests
{
    [Theory]
    [InlineData("abc")]
    [InlineData("my-bucket.example")]
    [InlineData("a1b2c3")]
    [InlineData("b-0123456789012345678901234567890123456789012345678901234567")]
    public void Problem_ValidName_IsNull(string name) => Assert.Null(BucketNaming.Problem(name));

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper")]
    [InlineData("under_score")]
    [InlineData("-start")]
    [InlineData("end-")]
    [InlineData("two..dots")]
    [InlineData("dot.-hyphen")]
    [InlineData("192.168.1.1")]
    [InlineData("xn--punycode")]
    [InlineData("name-s3alias")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void Problem_InvalidName_IsExplained(string name) => Assert.NotNull(BucketNaming.Problem(name));
}
