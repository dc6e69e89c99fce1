using CloudSecReq.Gateway.S3;
using Microsoft.AspNetCore.Http;

namespace CloudSecReq.Gateway.Tests.S3;

public sealed class S3DispatcherTests
{
    [Fact]
    public void ClearResponse_DropsWhatTheHandlerSet_KeepsTheRequestId()
    {
        // A GET that reads a replaced inline object again starts its response over; every response still carries its id.
        var response = new DefaultHttpContext().Response;
        response.StatusCode = 206;
        response.Headers.ETag = "\"old\"";
        response.Headers["x-amz-request-id"] = "ID";

        S3Dispatcher.ClearResponse(response, "ID");

        Assert.Equal(200, response.StatusCode);
        Assert.False(response.Headers.ContainsKey("ETag"));
        Assert.Equal("ID", response.Headers["x-amz-request-id"].ToString());
        Assert.Equal("ID", response.Headers["x-amz-id-2"].ToString());
    }
}
