using CloudSecReq.Gateway.Auth;
using CloudSecReq.Kms;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Gateway.KmsHost;

/// <summary>
/// Serves the tenant-facing KMS API (AWS KMS JSON 1.1) on the gateway's endpoint: POST with
/// <c>X-Amz-Target: TrentService.&lt;Operation&gt;</c>, SigV4 with service <c>kms</c> over the whole body
/// (≤ 1 MiB). The tenant's users call it with the same access keys they use for S3, e.g.
/// <c>aws kms create-key --endpoint-url https://127.0.0.1:9443</c>. The path: SigV4 → identity policy
/// (<see cref="KmsIdentityPolicy"/>) → <c>KmsApi</c> (key policies) → one JSON writer.
/// </summary>
internal sealed partial class KmsEndpoint(KmsService kms, SigV4Verifier verifier, TimeProvider clock, ILogger<KmsEndpoint> log)
{
    public const string TargetPrefix = "TrentService.";
    private const int MaxBodyBytes = 1024 * 1024;

    public static bool IsKmsRequest(HttpRequest request) =>
        request.Method == "POST" && request.Headers["X-Amz-Target"].ToString().StartsWith(TargetPrefix, StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext http, string requestId)
    {
        var started = clock.GetTimestamp();
        var operation = http.Request.Headers["X-Amz-Target"].ToString()[TargetPrefix.Length..];
        string? accessKeyId = null;
        try
        {
            var body = await ReadBodyAsync(http.Request, http.RequestAborted);
            var bodySha256 = SigV4.Sha256Hex(body);
            AuthenticatedRequest<Tenants.Principal> auth;
            try
            {
                auth = await verifier.VerifyAsync(http.Request, "kms", bodySha256, http.RequestAborted);
            }
            catch (AuthException e)
            {
                await WriteAsync(http, KmsError(e));
                return;
            }
            if (SignatureGap(auth, bodySha256) is { } gap)
            {
                await WriteAsync(http, gap);
                return;
            }
            accessKeyId = auth.Principal.AccessKeyId;
            var p = auth.Principal;
            if (KmsIdentityPolicy.Check(p, operation) is { } denied)
            {
                await WriteAsync(http, denied);
                return;
            }
            var caller = new KmsCaller(p.Tenant.Id, p.Tenant.AccountId, p.Arn, p.User.IsRoot);
            await WriteAsync(http, await kms.Api.HandleAsync(caller, operation, body, http.RequestAborted));
        }
        catch (BodyTooLargeException)
        {
            await WriteAsync(http, new KmsException(KmsErrorCode.Validation, "The request body is larger than 1 MiB."));
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
        {
            KmsFailed(log, e, requestId, operation);
            await WriteAsync(http, new KmsException(KmsErrorCode.KmsInternal, "An internal error occurred; request id " + requestId));
        }
        finally
        {
            if (log.IsEnabled(LogLevel.Information))
            {
                var elapsedMs = clock.GetElapsedTime(started).TotalMilliseconds;
                KmsRequest(log, requestId, operation, accessKeyId, http.Response.StatusCode, elapsedMs);
            }
        }
    }

    private sealed class BodyTooLargeException : Exception;

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new BodyTooLargeException();
        }
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > MaxBodyBytes)
            {
                throw new BodyTooLargeException();
            }
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// The operation (X-Amz-Target) and the body are what a KMS request does, so the signature must
    /// cover both (issue 11). Unsigned, a captured DescribeKey could be replayed as a DisableKey with
    /// the same signature within the clock window, and a presigned URL (UNSIGNED-PAYLOAD, valid for
    /// days) would run whatever body its bearer sends. X-Amz-Target, like every x-amz-* header, is
    /// refused unsigned by <see cref="SigV4Verifier"/>. The header form always hashes the body; a
    /// presigned request must carry the body's hash in x-amz-content-sha256 (as the AWS SDKs' JSON
    /// protocols sign it).
    /// </summary>
    private static KmsException? SignatureGap(AuthenticatedRequest<Tenants.Principal> auth, string bodySha256) =>
        auth.PayloadSha256 == bodySha256
            ? null
            : new KmsException(KmsErrorCode.InvalidSignature, "The request signature does not cover the request body.");

    /// <summary>SigV4 failures as the KMS service names them, in codes of the KMS error table.</summary>
    internal static KmsException KmsError(AuthException e) => e.Failure switch
    {
        AuthFailure.UnknownAccessKey => new(KmsErrorCode.UnrecognizedClient, "The security token included in the request is invalid."),
        AuthFailure.SignatureMismatch or AuthFailure.PayloadHashMismatch => new(KmsErrorCode.InvalidSignature, e.Message),
        AuthFailure.TimeSkewed => new(KmsErrorCode.InvalidSignature, "Signature expired: the request time is more than 15 minutes from the server time."),
        AuthFailure.UnsignedHeaders => new(KmsErrorCode.IncompleteSignature, $"{e.Message}: {e.Details["HeadersNotSigned"]}"),
        AuthFailure.Anonymous or AuthFailure.MissingDate or AuthFailure.NotYetValid or AuthFailure.Expired => new(KmsErrorCode.AccessDenied, e.Message),
        AuthFailure.SignatureVersion2 or AuthFailure.MalformedAuthorizationHeader or AuthFailure.MalformedPresignedQuery
            or AuthFailure.MissingPayloadHash or AuthFailure.MalformedPayloadHash or AuthFailure.MalformedChunk or AuthFailure.IncompleteBody
            => new(KmsErrorCode.IncompleteSignature, e.Message),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.Failure, null),
    };

    private static Task WriteAsync(HttpContext http, KmsException error) => WriteAsync(http, KmsResponse.FromException(error));

    private static async Task WriteAsync(HttpContext http, KmsResponse response)
    {
        http.Response.StatusCode = response.StatusCode;
        http.Response.ContentType = "application/x-amz-json-1.1";
        http.Response.ContentLength = response.Json.Length;
        await http.Response.Body.WriteAsync(response.Json, http.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{RequestId} KMS {Operation} failed")]
    private static partial void KmsFailed(ILogger log, Exception e, string requestId, string operation);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestId} POST kms:{Operation} key-id={AccessKeyId} status={Status} {ElapsedMs:F1}ms")]
    private static partial void KmsRequest(ILogger log, string requestId, string operation, string? accessKeyId, int status, double elapsedMs);
}
