using CloudSecReq.Gateway.S3.Xml;
using Microsoft.AspNetCore.Http;

namespace CloudSecReq.Gateway.S3;

/// <summary>The one place S3 errors become responses: S3 XML with code, message, resource and request id.</summary>
internal static class S3ErrorWriter
{
    public static async Task WriteAsync(HttpContext context, S3Exception error, string requestId)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        if (error.Code == S3ErrorCode.InvalidRange && error.Details.TryGetValue("ActualObjectSize", out var size))
        {
            response.Headers.ContentRange = $"bytes */{size}";
        }
        if (context.Request.Method == "HEAD" || error.Status == 304)
        {
            // HEAD responses and 304 carry no body; the code travels in a header for debugging.
            response.Headers["x-amz-error-code"] = error.CodeName;
            return;
        }
        var bytes = S3Xml.Serialize("Error", w =>
        {
            w.WriteElementString("Code", error.CodeName);
            w.WriteElementString("Message", error.Message);
            foreach (var (name, value) in error.Details)
            {
                w.WriteElementString(name, value);
            }
            w.WriteElementString("Resource", context.Request.Path.Value ?? "/");
            w.WriteElementString("RequestId", requestId);
        }, ns: null);
        response.ContentType = "application/xml";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes);
    }
}
