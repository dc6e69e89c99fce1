using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.S3;

/// <summary>One authenticated, authorised S3 request on its way to a handler.</summary>
internal sealed class S3Request(HttpContext http, string requestId, S3Route route, AuthenticatedRequest<Principal> auth)
{
    public HttpContext Http { get; } = http;
    public HttpRequest Request => Http.Request;
    public HttpResponse Response => Http.Response;
    public CancellationToken Aborted => Http.RequestAborted;
    public string RequestId { get; } = requestId;
    public S3Route Route { get; } = route;
    public AuthenticatedRequest<Principal> Auth { get; } = auth;
    public Principal Principal => Auth.Principal;

    /// <summary>The bucket's record, set by authorisation for every operation that names an existing bucket.</summary>
    public Bucket? Bucket { get; set; }

    public string BucketName => Route.Bucket ?? throw new S3Exception(S3ErrorCode.InvalidRequest, "This operation needs a bucket.");
    public string Key => Route.Key ?? throw new S3Exception(S3ErrorCode.InvalidRequest, "This operation needs an object key.");

    public string? Query(string name) => Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;
    public string? Header(string name) => Request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;
}
