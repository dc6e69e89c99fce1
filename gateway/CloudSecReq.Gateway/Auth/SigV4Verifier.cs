using System.Globalization;
using CloudSecReq.Gateway.Tenants;
using Microsoft.AspNetCore.Http.Features;

namespace CloudSecReq.Gateway.Auth;

/// <summary>
/// Verifies SigV4 on an incoming request, from the Authorization header or a presigned query, for
/// one region and service. Throws <see cref="AuthException"/> (its <see cref="AuthFailure"/> says what
/// went wrong) when it fails.
/// The body is not read here: its hash, chunk signatures or trailer are checked as it streams.
/// Tenants' access keys (S3, KMS) are looked up in <c>keys</c>; the admin API passes its own store.
/// </summary>
internal sealed class SigV4Verifier(SigningKeyCache<Principal> keys, TimeProvider clock, string region)
{
    public static TimeSpan MaxClockSkew { get; } = TimeSpan.FromMinutes(15);
    public const int MaxPresignedExpirySeconds = 7 * 24 * 3600;

    public string Region => region;

    /// <param name="bodySha256">
    /// For services that sign the whole body (KMS): the hex SHA-256 of the body the caller has
    /// already read. Null for S3, whose body is checked as it streams.
    /// </param>
    public Task<AuthenticatedRequest<Principal>> VerifyAsync(HttpRequest request, string service, string? bodySha256, CancellationToken ct) =>
        VerifyAsync(request, service, bodySha256, keys, ct);

    /// <summary>As above, with the access keys of another credential store (the admin keys).</summary>
    public async Task<AuthenticatedRequest<TPrincipal>> VerifyAsync<TPrincipal>(HttpRequest request, string service, string? bodySha256, SigningKeyCache<TPrincipal> keys, CancellationToken ct)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.PathBase + request.Path + request.QueryString).ToString();
        var q = raw.IndexOf('?');
        var rawPath = q < 0 ? raw : raw[..q];
        var rawQuery = q < 0 ? "" : raw[(q + 1)..];

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            return await VerifyHeaderAsync(request, authorization, rawPath, rawQuery, service, bodySha256, keys, ct);
        }
        if (request.Query.ContainsKey("X-Amz-Signature") || request.Query.ContainsKey("X-Amz-Credential"))
        {
            return await VerifyPresignedAsync(request, rawPath, rawQuery, service, keys, ct);
        }
        if (request.Query.ContainsKey("Signature") || request.Query.ContainsKey("AWSAccessKeyId"))
        {
            throw new AuthException(AuthFailure.SignatureVersion2, "Signature Version 2 is not supported; use Signature Version 4.");
        }
        throw new AuthException(AuthFailure.Anonymous, "Anonymous requests are not allowed.");
    }

    private async Task<AuthenticatedRequest<TPrincipal>> VerifyHeaderAsync<TPrincipal>(HttpRequest request, string authorization, string rawPath, string rawQuery, string service, string? bodySha256, SigningKeyCache<TPrincipal> keys, CancellationToken ct)
    {
        if (!authorization.StartsWith(SigV4.Algorithm + " ", StringComparison.Ordinal))
        {
            if (authorization.StartsWith("AWS ", StringComparison.Ordinal))
            {
                throw new AuthException(AuthFailure.SignatureVersion2, "Signature Version 2 is not supported; use Signature Version 4.");
            }
            throw new AuthException(AuthFailure.MalformedAuthorizationHeader, "The authorization header uses an unsupported algorithm.");
        }
        string? credentialText = null, signedHeadersText = null, signature = null;
        foreach (var part in authorization[(SigV4.Algorithm.Length + 1)..].Split(','))
        {
            var kv = part.Trim();
            var eq = kv.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var value = kv[(eq + 1)..].Trim();
            switch (kv[..eq])
            {
                case "Credential": credentialText = value; break;
                case "SignedHeaders": signedHeadersText = value; break;
                case "Signature": signature = value; break;
            }
        }
        if (credentialText is null || signedHeadersText is null || signature is null)
        {
            throw new AuthException(AuthFailure.MalformedAuthorizationHeader, "The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.");
        }
        var credential = SigV4Credential.TryParse(credentialText)
            ?? throw new AuthException(AuthFailure.MalformedAuthorizationHeader, "The authorization header is malformed; the Credential is mal-formed.");
        CheckScope(credential, service, AuthFailure.MalformedAuthorizationHeader);

        var amzDate = request.Headers["x-amz-date"].ToString();
        var time = ParseAmzDate(amzDate) ?? throw new AuthException(AuthFailure.MissingDate, "AWS authentication requires a valid x-amz-date header.");
        if (credential.Date != amzDate[..8])
        {
            throw new AuthException(AuthFailure.MalformedAuthorizationHeader, "The credential date does not match the x-amz-date header.");
        }
        var now = clock.GetUtcNow();
        if ((now - time).Duration() > MaxClockSkew)
        {
            throw new AuthException(AuthFailure.TimeSkewed, "The difference between the request time and the server's time is too large.")
                .With("RequestTime", amzDate).With("ServerTime", now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).With("MaxAllowedSkewMilliseconds", "900000");
        }

        var signedHeaders = signedHeadersText.Split(';');
        if (!signedHeaders.Contains("host"))
        {
            throw new AuthException(AuthFailure.MalformedAuthorizationHeader, "The host header must be signed.");
        }
        CheckAmzHeadersSigned(request, signedHeaders);
        var payloadHash = request.Headers["x-amz-content-sha256"].ToString();
        if (bodySha256 is not null)
        {
            if (payloadHash.Length > 0 && !string.Equals(payloadHash, bodySha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new AuthException(AuthFailure.PayloadHashMismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.");
            }
            payloadHash = bodySha256;
        }
        var mode = payloadHash switch
        {
            SigV4.UnsignedPayload => PayloadMode.Unsigned,
            SigV4.StreamingSignedPayload => PayloadMode.StreamingSigned,
            SigV4.StreamingSignedPayloadTrailer => PayloadMode.StreamingSignedTrailer,
            SigV4.StreamingUnsignedPayloadTrailer => PayloadMode.StreamingUnsignedTrailer,
            _ when payloadHash.Length == 64 && payloadHash.All(char.IsAsciiHexDigit) => PayloadMode.SignedHash,
            "" => throw new AuthException(AuthFailure.MissingPayloadHash, "Missing required header for this request: x-amz-content-sha256"),
            _ => throw new AuthException(AuthFailure.MalformedPayloadHash, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a streaming mode or a SHA-256 hex digest.")
                .With("ArgumentName", "x-amz-content-sha256"),
        };
        var (principal, signingKey) = await keys.GetAsync(credential, ct) ?? throw UnknownAccessKey();
        var headers = signedHeaders.SelectMany(h => request.Headers[h].Select(v => new KeyValuePair<string, string>(h, v ?? "")));
        var canonical = SigV4.CanonicalRequest(request.Method, rawPath, rawQuery, headers, signedHeaders, payloadHash, normalizePath: false);
        var expected = SigV4.Sign(signingKey, SigV4.StringToSign(amzDate, credential.Scope, canonical));
        if (!SigV4.SignaturesEqual(expected, signature))
        {
            throw SignatureMismatch();
        }
        return new AuthenticatedRequest<TPrincipal>(principal, mode, mode == PayloadMode.SignedHash ? payloadHash.ToLowerInvariant() : null,
            new SigningContext(signingKey, amzDate, credential.Scope, signature.ToLowerInvariant()), false);
    }

    private async Task<AuthenticatedRequest<TPrincipal>> VerifyPresignedAsync<TPrincipal>(HttpRequest request, string rawPath, string rawQuery, string service, SigningKeyCache<TPrincipal> keys, CancellationToken ct)
    {
        const AuthFailure bad = AuthFailure.MalformedPresignedQuery;
        var query = request.Query;
        if (query["X-Amz-Algorithm"] != SigV4.Algorithm)
        {
            throw new AuthException(bad, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".");
        }
        var credential = SigV4Credential.TryParse(query["X-Amz-Credential"].ToString())
            ?? throw new AuthException(bad, "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed.");
        CheckScope(credential, service, bad);
        var amzDate = query["X-Amz-Date"].ToString();
        var time = ParseAmzDate(amzDate) ?? throw new AuthException(bad, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".");
        if (credential.Date != amzDate[..8])
        {
            throw new AuthException(bad, "The credential date does not match X-Amz-Date.");
        }
        if (!int.TryParse(query["X-Amz-Expires"], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || expires < 1)
        {
            throw new AuthException(bad, "X-Amz-Expires should be a number of seconds.");
        }
        if (expires > MaxPresignedExpirySeconds)
        {
            throw new AuthException(bad, "X-Amz-Expires must be less than a week (in seconds) that is 604800.");
        }
        var now = clock.GetUtcNow();
        if (time - now > MaxClockSkew)
        {
            throw new AuthException(AuthFailure.NotYetValid, "Request is not valid yet.");
        }
        if (now > time.AddSeconds(expires))
        {
            throw new AuthException(AuthFailure.Expired, "Request has expired")
                .With("X-Amz-Expires", expires.ToString(CultureInfo.InvariantCulture))
                .With("Expires", time.AddSeconds(expires).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))
                .With("ServerTime", now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        }
        var signedHeaders = query["X-Amz-SignedHeaders"].ToString().Split(';');
        if (!signedHeaders.Contains("host"))
        {
            throw new AuthException(bad, "The host header must be signed.");
        }
        CheckAmzHeadersSigned(request, signedHeaders);
        var signature = query["X-Amz-Signature"].ToString();
        var (principal, signingKey) = await keys.GetAsync(credential, ct) ?? throw UnknownAccessKey();
        var headers = signedHeaders.SelectMany(h => request.Headers[h].Select(v => new KeyValuePair<string, string>(h, v ?? "")));
        var payloadHash = request.Headers["x-amz-content-sha256"].ToString() is { Length: > 0 } h ? h : SigV4.UnsignedPayload;
        var canonical = SigV4.CanonicalRequest(request.Method, rawPath, rawQuery, headers, signedHeaders, payloadHash, normalizePath: false, excludeQueryParameter: "X-Amz-Signature");
        var expected = SigV4.Sign(signingKey, SigV4.StringToSign(amzDate, credential.Scope, canonical));
        if (!SigV4.SignaturesEqual(expected, signature))
        {
            throw SignatureMismatch();
        }
        var mode = payloadHash.Length == 64 ? PayloadMode.SignedHash : PayloadMode.Unsigned;
        return new AuthenticatedRequest<TPrincipal>(principal, mode, mode == PayloadMode.SignedHash ? payloadHash.ToLowerInvariant() : null,
            new SigningContext(signingKey, amzDate, credential.Scope, signature), true);
    }

    /// <summary>
    /// Every x-amz-* header must be signed, as AWS requires ("There were headers present in the
    /// request which were not signed"): otherwise whoever holds a presigned URL, which signs only the
    /// host, could add x-amz-copy-source (a copy of anything the signer can read) or SSE-C headers
    /// (locking the owner out). x-amz-content-sha256 and x-amz-date are exempt: both are bound by
    /// the signature anyway (payload hash, string to sign).
    /// </summary>
    private static void CheckAmzHeadersSigned(HttpRequest request, string[] signedHeaders)
    {
        List<string>? unsigned = null;
        foreach (var name in request.Headers.Keys)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase)
                && !name.Equals("x-amz-content-sha256", StringComparison.OrdinalIgnoreCase)
                && !name.Equals("x-amz-date", StringComparison.OrdinalIgnoreCase)
                && !signedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                (unsigned ??= []).Add(name.ToLowerInvariant());
            }
        }
        if (unsigned is not null)
        {
            throw new AuthException(AuthFailure.UnsignedHeaders, "There were headers present in the request which were not signed")
                .With("HeadersNotSigned", string.Join(", ", unsigned));
        }
    }

    private void CheckScope(SigV4Credential credential, string service, AuthFailure failure)
    {
        if (credential.Region != region)
        {
            throw new AuthException(failure, $"The authorization header is malformed; the region '{credential.Region}' is wrong; expecting '{region}'")
                .With("Region", region);
        }
        if (credential.Service != service)
        {
            throw new AuthException(failure, $"The authorization header is malformed; incorrect service \"{credential.Service}\". This endpoint belongs to \"{service}\".");
        }
    }

    private static AuthException UnknownAccessKey() =>
        new(AuthFailure.UnknownAccessKey, "The AWS Access Key Id you provided does not exist in our records.");

    private static AuthException SignatureMismatch() =>
        new(AuthFailure.SignatureMismatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.");

    private static DateTimeOffset? ParseAmzDate(string value) =>
        value.Length == 16 && DateTimeOffset.TryParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}
