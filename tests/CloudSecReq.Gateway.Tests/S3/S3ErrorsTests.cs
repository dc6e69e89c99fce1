using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.S3;
using CloudSecReq.Gateway.ServerSideEncryption;

namespace CloudSecReq.Gateway.Tests.S3;

public sealed class S3ErrorsTests
{
    [Fact]
    public void From_AnyAuthFailure_IsAClientErrorWithItsMessageAndDetailsInOrder() =>
        Assert.All(Enum.GetValues<AuthFailure>(), failure =>
        {
            var error = S3Errors.From(new AuthException(failure, "why").With("RequestTime", "a").With("ServerTime", "b"))!;
            Assert.InRange(error.Status, 400, 499);
            Assert.Equal("why", error.Message);
            Assert.Equal(["RequestTime", "ServerTime"], error.Details.Keys);
        });

    [Fact]
    public void From_AnySseFailure_IsAnErrorNamingTheHeader() =>
        Assert.All(Enum.GetValues<SseFailure>(), failure =>
        {
            var error = S3Errors.From(new SseException(failure, "why", "x-amz-server-side-encryption"))!;
            Assert.InRange(error.Status, 400, 599);
            Assert.Equal("why", error.Message);
            Assert.Equal("x-amz-server-side-encryption", error.Details["ArgumentName"]);
        });

    [Fact]
    public void From_UnexpectedException_IsNull() => Assert.Null(S3Errors.From(new InvalidOperationException()));
}
