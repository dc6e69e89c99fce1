namespace CloudSecReq.Gateway.Observability;

/// <summary>
/// <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c> on the S3 listener, answered before
/// the S3 dispatcher. They share their paths with S3 path-style requests for a bucket named "health"
/// or "metrics", so a request is theirs only when it is a GET or HEAD without any S3 authentication
/// (no SigV4 <c>Authorization</c> header, no presigned query): this gateway refuses every anonymous
/// S3 request (there are no public buckets), so nothing an S3 client could do is taken away, and a
/// signed request for such a bucket reaches S3 as before (docs/operations.md, "Health and metrics").
/// Health answers carry only "ok" or "unready". Thread-safe.
/// </summary>
internal sealed class OperatorEndpoints(GatewayMetrics metrics, MetricsAccess access, Func<CancellationToken, Task<bool>> isReady)
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string MetricsPath = "/metrics";

    /// <summary>Whether the request is for one of these endpoints (see the type's summary); reads headers and query only.</summary>
    public static bool Claims(HttpRequest request)
    {
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)))
        {
            return false;
        }
        var path = request.Path.Value;
        if (path is not (LivePath or ReadyPath or MetricsPath))
        {
            return false;
        }
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0 && !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false; // AWS4-HMAC-SHA256 (or SigV2 "AWS "): an S3 request
        }
        var query = request.Query;
        return !(query.ContainsKey("X-Amz-Signature") || query.ContainsKey("X-Amz-Credential") || query.ContainsKey("Signature") || query.ContainsKey("AWSAccessKeyId"));
    }

    /// <summary>Answers a request that <see cref="Claims"/> took.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        switch (http.Request.Path.Value)
        {
            case LivePath:
                await WriteTextAsync(http, StatusCodes.Status200OK, "ok\n");
                break;
            case ReadyPath:
                var ready = await isReady(http.RequestAborted);
                await WriteTextAsync(http, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, ready ? "ok\n" : "unready\n");
                break;
            default:
                if (!access.Allows(http.Request))
                {
                    response.Headers.WWWAuthenticate = "Bearer";
                    await WriteTextAsync(http, StatusCodes.Status401Unauthorized, "unauthorized\n");
                    return;
                }
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                if (!HttpMethods.IsHead(http.Request.Method))
                {
                    await metrics.ExportAsync(response.Body, http.RequestAborted);
                }
                break;
        }
    }

    private static async Task WriteTextAsync(HttpContext http, int status, string text)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.ContentLength = text.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.WriteAsync(text, http.RequestAborted);
        }
    }
}
