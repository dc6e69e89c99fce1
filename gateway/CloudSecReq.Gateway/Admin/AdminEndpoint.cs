using System.Security.Cryptography;
using System.Text.Json;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Gateway.Admin;

/// <summary>
/// Serves the admin API (docs/admin-api.md) on the gateway's listener. A request is an admin request
/// when its SigV4 credential scope names the service <see cref="Service"/> (<c>csr-admin</c>), never
/// by its path, so no bucket name (a bucket may be called "admin") can reach it and no admin path can
/// reach S3. The path: read the body (≤ 64 KiB) → SigV4 with an admin key from <see cref="AdminKeyStore"/>
/// (the whole body signed; presigned URLs refused) → <see cref="AdminApi"/> → one JSON writer
/// (<c>{"code","message","requestId"}</c> for errors).
/// </summary>
internal sealed partial class AdminEndpoint(AdminApi api, SigV4Verifier verifier, SigningKeyCache<AdminPrincipal> adminKeys, TimeProvider clock, ILogger<AdminEndpoint> log)
{
    /// <summary>The SigV4 service name that routes a request here.</summary>
    public const string Service = "csr-admin";

    /// <summary>The path prefix of every admin operation.</summary>
    public const string PathPrefix = "/admin/v1/";

    private const int MaxBodyBytes = 64 * 1024;

    /// <summary>True when the request is signed (header or presigned query) for the <c>csr-admin</c> service.</summary>
    public static bool IsAdminRequest(HttpRequest request)
    {
        var credential = request.Headers.Authorization.ToString() is { Length: > 0 } authorization
            ? CredentialOf(authorization)
            : request.Query["X-Amz-Credential"].ToString();
        return credential is not null && SigV4Credential.TryParse(credential)?.Service == Service;
    }

    private static string? CredentialOf(string authorization)
    {
        var at = authorization.IndexOf("Credential=", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var value = authorization[(at + "Credential=".Length)..];
        var end = value.IndexOf(',', StringComparison.Ordinal);
        return (end < 0 ? value : value[..end]).Trim();
    }

    public async Task HandleAsync(HttpContext http)
    {
        var started = clock.GetTimestamp();
        var requestId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        http.Response.Headers["x-amz-request-id"] = requestId;
        string? accessKeyId = null;
        var operation = $"{http.Request.Method} {http.Request.Path}";
        try
        {
            var body = await ReadBodyAsync(http.Request, http.RequestAborted);
            var bodySha256 = SigV4.Sha256Hex(body);
            AuthenticatedRequest<AdminPrincipal> auth;
            try
            {
                auth = await verifier.VerifyAsync(http.Request, Service, bodySha256, adminKeys, http.RequestAborted);
            }
            catch (AuthException e)
            {
                throw AdminError(e);
            }
            accessKeyId = auth.Principal.AccessKeyId;
            if (auth.Presigned || auth.PayloadSha256 != bodySha256)
            {
                // An admin action is a POST or DELETE with its body: a presigned URL (valid for days,
                // UNSIGNED-PAYLOAD) would let whoever holds it replay or change it.
                throw new AdminException(AdminErrorCode.AccessDenied, "Admin requests are signed in the Authorization header, over the whole body; presigned URLs are refused.");
            }
            var path = http.Request.Path.Value ?? "";
            if (!path.StartsWith(PathPrefix, StringComparison.Ordinal) || http.Request.QueryString.HasValue)
            {
                throw new AdminException(AdminErrorCode.NoSuchOperation, $"No admin operation {http.Request.Method} {path}{http.Request.QueryString}; the API is under {PathPrefix} and takes no query.");
            }
            var segments = path[PathPrefix.Length..].Split('/');
            var result = await api.HandleAsync(http.Request.Method, segments, body, http.RequestAborted);
            await WriteAsync(http, result.Status, result.Body);
        }
        catch (AdminException e)
        {
            await WriteErrorAsync(http, e.Code, e.Message, requestId);
        }
        catch (KmsException e) when (e.IsRetryable)
        {
            HsmUnavailable(log, requestId, operation);
            await WriteErrorAsync(http, AdminErrorCode.ServiceUnavailable, AdminErrorTable.Of(AdminErrorCode.ServiceUnavailable).Message, requestId);
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
        {
            Failed(log, e, requestId, operation);
            await WriteErrorAsync(http, AdminErrorCode.InternalError, "An internal error occurred; request id " + requestId, requestId);
        }
        finally
        {
            if (log.IsEnabled(LogLevel.Information))
            {
                var elapsedMs = clock.GetElapsedTime(started).TotalMilliseconds;
                Request(log, requestId, operation, accessKeyId, http.Response.StatusCode, elapsedMs);
            }
        }
    }

    /// <summary>SigV4 failures as the admin API names them.</summary>
    internal static AdminException AdminError(AuthException e) => e.Failure switch
    {
        AuthFailure.UnknownAccessKey => new(AdminErrorCode.InvalidAccessKeyId),
        AuthFailure.SignatureMismatch or AuthFailure.PayloadHashMismatch => new(AdminErrorCode.SignatureDoesNotMatch),
        AuthFailure.TimeSkewed => new(AdminErrorCode.RequestTimeTooSkewed),
        AuthFailure.Anonymous or AuthFailure.NotYetValid or AuthFailure.Expired => new(AdminErrorCode.AccessDenied, e.Message),
        AuthFailure.UnsignedHeaders => new(AdminErrorCode.IncompleteSignature, $"{e.Message}: {e.Details["HeadersNotSigned"]}"),
        AuthFailure.SignatureVersion2 or AuthFailure.MalformedAuthorizationHeader or AuthFailure.MalformedPresignedQuery or AuthFailure.MissingDate
            or AuthFailure.MissingPayloadHash or AuthFailure.MalformedPayloadHash or AuthFailure.MalformedChunk or AuthFailure.IncompleteBody
            => new(AdminErrorCode.IncompleteSignature, e.Message),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.Failure, null),
    };

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new AdminException(AdminErrorCode.RequestTooLarge);
        }
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > MaxBodyBytes)
            {
                throw new AdminException(AdminErrorCode.RequestTooLarge);
            }
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    private static Task WriteErrorAsync(HttpContext http, AdminErrorCode code, string message, string requestId)
    {
        if (http.Response.HasStarted)
        {
            http.Abort();
            return Task.CompletedTask;
        }
        return WriteAsync(http, AdminErrorTable.Of(code).Status, new { code = code.ToString(), message, requestId });
    }

    private static async Task WriteAsync(HttpContext http, int status, object? body)
    {
        http.Response.StatusCode = status;
        if (body is null)
        {
            return;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(body, AdminJson.Options);
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = json.Length;
        await http.Response.Body.WriteAsync(json, http.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{RequestId} admin {Operation} refused: the HSM is unavailable")]
    private static partial void HsmUnavailable(ILogger log, string requestId, string operation);

    [LoggerMessage(Level = LogLevel.Error, Message = "{RequestId} admin {Operation} failed")]
    private static partial void Failed(ILogger log, Exception e, string requestId, string operation);

    // No body, no secret: the operation is the method and path, the caller its admin key id.
    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestId} admin {Operation} admin-key-id={AccessKeyId} status={Status} {ElapsedMs:F1}ms")]
    private static partial void Request(ILogger log, string requestId, string operation, string? accessKeyId, int status, double elapsedMs);
}
