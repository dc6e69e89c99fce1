using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.KmsHost;

namespace CloudSecReq.Gateway.Tests.KmsHost;

public sealed class KmsAuthErrorTests
{
    [Fact]
    public void KmsError_AnyAuthFailure_IsAKmsErrorOfTheTable() =>
        Assert.All(Enum.GetValues<AuthFailure>(), failure =>
        {
            var error = KmsEndpoint.KmsError(new AuthException(failure, "why").With("HeadersNotSigned", "x-amz-target"));
            Assert.EndsWith("Exception", error.AwsType);
            Assert.Equal(400, error.StatusCode);
        });
}
