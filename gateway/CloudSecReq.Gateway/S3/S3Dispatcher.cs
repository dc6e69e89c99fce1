using System.Security.Cryptography;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Encryption;
using CloudSecReq.Gateway.KmsHost;
using CloudSecReq.Gateway.Observability;
using CloudSecReq.Gateway.S3.Handlers;
using CloudSecReq.Kms.Api;
using Microsoft.AspNetCore.Connections;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// The whole S3 request path in one place: limits → route → SigV4 → policy → handler → error
/// writer. Every request gets a request id that is in the response and in the log line.
/// </summary>
internal sealed partial class S3Dispatcher(
    S3Router router,
    SigV4Verifier verifier,
    S3Authorizer authorizer,
    BucketHandlers buckets,
    ObjectHandlers objects,
    ListHandlers lists,
    MultipartHandlers multipart,
    TaggingHandlers tagging,
    LocationHandlers locations,
    KmsEndpoint kms,
    GatewayMetrics metrics,
    TimeProvider clock,
    ILogger<S3Dispatcher> log)
{
    public async Task HandleAsync(HttpContext http)
    {
        var started = clock.GetTimestamp();
        var requestId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        WriteRequestId(http.Response, requestId);
        var sent = new CountingResponseStream(http.Response.Body);
        http.Response.Body = sent;
        if (KmsEndpoint.IsKmsRequest(http.Request))
        {
            try
            {
                await kms.HandleAsync(http, requestId);
            }
            finally
            {
                metrics.ObserveRequest(KmsOperationLabel, http.Response.StatusCode, clock.GetElapsedTime(started), http.Request.ContentLength ?? 0, sent.BytesWritten);
            }
            return;
        }
        var body = new ClientBodyStream(http.Request.Body);
        http.Request.Body = body;
        var operation = S3Operation.Unsupported;
        string? accessKeyId = null;
        string? bucket = null;
        try
        {
            var route = router.Route(http.Request);
            operation = route.Operation;
            bucket = route.Bucket;
            var auth = await verifier.VerifyAsync(http.Request, "s3", null, http.RequestAborted);
            accessKeyId = auth.Principal.AccessKeyId;
            if (route.Operation == S3Operation.Unsupported)
            {
                throw new S3Exception(S3ErrorCode.NotImplemented);
            }
            RequestHeaderSupport.Check(route.Operation, http.Request.Headers, auth.Principal.Tenant.AccountId);
            var request = new S3Request(http, requestId, route, auth);
            if (route.Operation is not (S3Operation.ListBuckets or S3Operation.CreateBucket))
            {
                request.Bucket = await authorizer.AuthorizeBucketAsync(auth.Principal, request.BucketName, S3OperationInfo.IsWrite(route.Operation), http.RequestAborted);
            }
            await DispatchAsync(request);
        }
        catch (Exception e) when (S3Errors.From(e) is { } error)
        {
            if (e is KmsException { IsRetryable: true })
            {
                // Key errors as AWS shows them (KMS.DisabledException ...); an unreachable HSM fails closed with 503.
                HsmUnavailable(log, requestId, operation);
            }
            else if (body.ClientWentAway)
            {
                // The body ended before its length, or stalled: answered (a half-closed client still reads), logged as the abort it is.
                AbortedWithError(log, requestId, operation, error.CodeName);
            }
            await WriteErrorAsync(http, error, requestId);
        }
        catch (SegmentIntegrityException e)
        {
            // Stored ciphertext failed authentication: never returned. Erasure coding (issue #6) will repair it.
            IntegrityFailure(log, requestId, operation, bucket, e.Message);
            await WriteErrorAsync(http, new S3Exception(S3ErrorCode.InternalError, "The object failed its integrity check and was not returned."), requestId);
        }
        catch (Exception e) when (http.RequestAborted.IsCancellationRequested || body.ClientWentAway || e is ConnectionResetException or BadHttpRequestException)
        {
            // The client went away mid-request (reset, TLS cut mid-record, cancelled): nothing was committed.
            // Nobody is left to read an error document; aborting also spares Kestrel a failing drain of the body.
            var reason = e.GetType().Name;
            AbortedByClient(log, requestId, operation, reason);
            http.Abort();
        }
        catch (Exception e)
        {
            Failed(log, e, requestId, operation);
            await WriteErrorAsync(http, new S3Exception(S3ErrorCode.InternalError), requestId);
        }
        finally
        {
            // The one place every S3 request is counted and logged, whatever its outcome.
            var elapsed = clock.GetElapsedTime(started);
            var status = http.Response.StatusCode;
            metrics.ObserveRequest(S3OperationInfo.Name(operation), status, elapsed, body.BytesRead, sent.BytesWritten);
            if (log.IsEnabled(LogLevel.Information))
            {
                var client = http.Connection.RemoteIpAddress?.ToString();
                Request(log, requestId, http.Request.Method, operation, bucket, accessKeyId, status, body.BytesRead, sent.BytesWritten, client, elapsed.TotalMilliseconds);
            }
        }
    }

    private Task DispatchAsync(S3Request r) => r.Route.Operation switch
    {
        S3Operation.ListBuckets => buckets.ListBucketsAsync(r),
        S3Operation.CreateBucket => buckets.CreateBucketAsync(r),
        S3Operation.HeadBucket => BucketHandlers.HeadBucketAsync(r),
        S3Operation.DeleteBucket => buckets.DeleteBucketAsync(r),
        S3Operation.GetBucketLocation => BucketHandlers.GetBucketLocationAsync(r),
        S3Operation.GetBucketVersioning => BucketHandlers.GetBucketVersioningAsync(r),
        S3Operation.PutBucketEncryption => buckets.PutBucketEncryptionAsync(r),
        S3Operation.GetBucketEncryption => BucketHandlers.GetBucketEncryptionAsync(r),
        S3Operation.DeleteBucketEncryption => buckets.DeleteBucketEncryptionAsync(r),
        S3Operation.ListObjects => lists.ListObjectsAsync(r),
        S3Operation.ListObjectsV2 => lists.ListObjectsV2Async(r),
        S3Operation.ListObjectVersions => lists.ListObjectVersionsAsync(r),
        S3Operation.ListMultipartUploads => lists.ListMultipartUploadsAsync(r),
        S3Operation.DeleteObjects => objects.DeleteObjectsAsync(r),
        S3Operation.PutObject => objects.PutObjectAsync(r),
        S3Operation.CopyObject => objects.CopyObjectAsync(r, authorizer),
        S3Operation.GetObject => objects.GetObjectAsync(r),
        S3Operation.HeadObject => objects.HeadObjectAsync(r),
        S3Operation.DeleteObject => objects.DeleteObjectAsync(r),
        S3Operation.CreateMultipartUpload => multipart.CreateMultipartUploadAsync(r),
        S3Operation.UploadPart => multipart.UploadPartAsync(r),
        S3Operation.UploadPartCopy => multipart.UploadPartCopyAsync(r, authorizer),
        S3Operation.CompleteMultipartUpload => multipart.CompleteMultipartUploadAsync(r),
        S3Operation.AbortMultipartUpload => multipart.AbortMultipartUploadAsync(r),
        S3Operation.ListParts => multipart.ListPartsAsync(r),
        S3Operation.PutObjectTagging => tagging.PutObjectTaggingAsync(r),
        S3Operation.GetObjectTagging => tagging.GetObjectTaggingAsync(r),
        S3Operation.DeleteObjectTagging => tagging.DeleteObjectTaggingAsync(r),
        S3Operation.GetObjectLocation => locations.GetObjectLocationAsync(r),
        S3Operation.GetBucketDataLocation => locations.GetBucketDataLocationAsync(r),
        _ => throw new S3Exception(S3ErrorCode.NotImplemented),
    };

    private static void WriteRequestId(HttpResponse response, string requestId)
    {
        response.Headers["x-amz-request-id"] = requestId;
        response.Headers["x-amz-id-2"] = requestId;
    }

    /// <summary>Drops what a handler set on a response not yet started (status, headers), keeping the request id every response carries.</summary>
    internal static void ClearResponse(HttpResponse response, string requestId)
    {
        response.Clear();
        WriteRequestId(response, requestId);
    }

    private static async Task WriteErrorAsync(HttpContext http, S3Exception error, string requestId)
    {
        if (http.Response.HasStarted)
        {
            // Too late for an error document: cut the connection so the client sees a failure, not a short body.
            http.Abort();
            return;
        }
        ClearResponse(http.Response, requestId);
        if (ClientBodyStream.LeftUnread(http.Request))
        {
            // Issue 11: an error before the body was read (NoSuchBucket, AccessDenied, a bad signature...).
            // Kestrel would drain the body to keep the connection, but after Expect: 100-continue a client
            // such as botocore sends no body and reuses the connection: its next request would be read as
            // this body. Close instead, and say so, so that the client does not reuse the connection.
            http.Response.Headers.Connection = "close";
        }
        try
        {
            await S3ErrorWriter.WriteAsync(http, error, requestId);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{RequestId} {Operation} refused: the HSM is unavailable")]
    private static partial void HsmUnavailable(ILogger log, string requestId, S3Operation operation);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestId} {Operation} aborted by the client: {Code}")]
    private static partial void AbortedWithError(ILogger log, string requestId, S3Operation operation, string code);

    [LoggerMessage(Level = LogLevel.Error, Message = "{RequestId} {Operation} integrity failure in bucket {Bucket}: {Reason}")]
    private static partial void IntegrityFailure(ILogger log, string requestId, S3Operation operation, string? bucket, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestId} {Operation} aborted by the client: {Reason}")]
    private static partial void AbortedByClient(ILogger log, string requestId, S3Operation operation, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{RequestId} {Operation} failed")]
    private static partial void Failed(ILogger log, Exception e, string requestId, S3Operation operation);

    /// <summary>The operation label of requests to the KMS API on this listener (their targets are client text, not a fixed set).</summary>
    private const string KmsOperationLabel = "KmsApi";

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestId} {Method} {Operation} bucket={Bucket} key-id={AccessKeyId} status={Status} in={BytesIn} out={BytesOut} client={ClientAddress} {ElapsedMs:F1}ms")]
    private static partial void Request(ILogger log, string requestId, string method, S3Operation operation, string? bucket, string? accessKeyId, int status, long bytesIn, long bytesOut, string? clientAddress, double elapsedMs);
}
