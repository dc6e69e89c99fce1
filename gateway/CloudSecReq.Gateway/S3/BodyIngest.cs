using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Checksums;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;

namespace CloudSecReq.Gateway.S3;

/// <summary>
/// The first stages of every write: the request body is decoded (aws-chunked, each chunk's
/// signature checked), measured, hashed (MD5 for the ETag, the signed SHA-256, the requested
/// <c>x-amz-checksum-*</c>) and passed on to a sink, with bounded memory. Only after the last byte
/// are the digests compared with what the client declared; any mismatch throws, and the caller,
/// which has committed nothing yet, drops what the sink received.
/// </summary>
internal static class BodyIngest
{
    private const int BufferBytes = 1024 * 1024;
    private const int ParallelHashBytes = 256 * 1024;

    /// <param name="maxBytes">The largest body allowed (EntityTooLarge beyond it).</param>
    /// <param name="alwaysCompute">A checksum to compute even when the client sends none (multipart uploads that declared one).</param>
    public static async Task<IngestResult> CopyToAsync(S3Request req, Stream sink, long maxBytes, ChecksumAlgorithm? alwaysCompute, CancellationToken ct)
    {
        var (body, declared, chunked) = Open(req);
        if (declared > maxBytes)
        {
            throw new S3Exception(S3ErrorCode.EntityTooLarge).With("ProposedSize", declared.Value.ToString(CultureInfo.InvariantCulture))
                .With("MaxSizeAllowed", maxBytes.ToString(CultureInfo.InvariantCulture));
        }
        var expectedMd5 = ParseContentMd5(req.Header("Content-MD5"));
        var (algorithm, expectedChecksum, fromTrailer) = ChecksumRequest(req);
        algorithm ??= alwaysCompute;
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha256 = req.Auth.PayloadMode == PayloadMode.SignedHash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        using var checksum = algorithm is { } a ? new StreamChecksum(a) : null;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        long total = 0;
        try
        {
            while (true)
            {
                var n = await ReadChunkAsync(body, buffer.AsMemory(0, BufferBytes), ct);
                if (n == 0)
                {
                    break;
                }
                total += n;
                if (total > maxBytes)
                {
                    throw new S3Exception(S3ErrorCode.EntityTooLarge);
                }
                if (total > declared)
                {
                    // More than declared (an aws-chunked body beyond x-amz-decoded-content-length): the
                    // sink may have sized itself by the declared length.
                    throw new S3Exception(S3ErrorCode.IncompleteBody);
                }
                var chunk = buffer.AsMemory(0, n);
                void Hash()
                {
                    md5.AppendData(chunk.Span);
                    sha256?.AppendData(chunk.Span);
                    checksum?.Append(chunk.Span);
                }
                if (n >= ParallelHashBytes)
                {
                    // MD5 runs at ~0.7 GB/s a core: hash beside the sealing and writing of the same chunk, not before it.
                    // Awaited also when the write fails: the hash must be done with the buffer before it goes back to the pool.
                    var hashing = Task.Run(Hash, CancellationToken.None);
                    try
                    {
                        await sink.WriteAsync(chunk, ct);
                    }
                    finally
                    {
                        await hashing;
                    }
                }
                else
                {
                    Hash();
                    await sink.WriteAsync(chunk, ct);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (declared is { } d && d != total)
        {
            throw new S3Exception(S3ErrorCode.IncompleteBody);
        }
        if (sha256 is not null && !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(req.Auth.PayloadSha256!), sha256.GetHashAndReset()))
        {
            throw new S3Exception(S3ErrorCode.XAmzContentSHA256Mismatch);
        }
        var md5Digest = md5.GetHashAndReset();
        if (expectedMd5 is not null && !CryptographicOperations.FixedTimeEquals(expectedMd5, md5Digest))
        {
            throw new S3Exception(S3ErrorCode.BadDigest);
        }
        ObjectChecksum? result = null;
        if (checksum is not null)
        {
            var digest = checksum.GetDigest();
            if (fromTrailer)
            {
                var name = ChecksumNames.HeaderName(checksum.Algorithm);
                if (chunked?.Trailers.TryGetValue(name, out var trailerValue) != true)
                {
                    throw new S3Exception(S3ErrorCode.InvalidRequest, $"The trailer {name} was announced but not sent.");
                }
                expectedChecksum = DecodeChecksum(checksum.Algorithm, trailerValue!);
            }
            if (expectedChecksum is not null && !CryptographicOperations.FixedTimeEquals(expectedChecksum, digest))
            {
                throw new S3Exception(S3ErrorCode.BadDigest, $"The {ChecksumNames.WireName(checksum.Algorithm)} you specified did not match the calculated checksum.");
            }
            result = new ObjectChecksum(ChecksumNames.WireName(checksum.Algorithm), Convert.ToBase64String(digest));
        }
        return new IngestResult(total, md5Digest, result);
    }

    /// <summary>The body length the client declared (the decoded length of aws-chunked bodies), or null when it declared none.</summary>
    public static long? DeclaredLength(S3Request req) =>
        long.TryParse(req.Header("x-amz-decoded-content-length"), NumberStyles.None, CultureInfo.InvariantCulture, out var decoded) ? decoded : req.Request.ContentLength;

    /// <summary>Fills <paramref name="chunk"/> as far as the body goes (network reads come in small pieces).</summary>
    private static async ValueTask<int> ReadChunkAsync(Stream body, Memory<byte> chunk, CancellationToken ct)
    {
        var filled = 0;
        while (filled < chunk.Length)
        {
            var n = await body.ReadAsync(chunk[filled..], ct);
            if (n == 0)
            {
                break;
            }
            filled += n;
        }
        return filled;
    }

    /// <summary>Reads a small body (an XML document) into memory with the same checks.</summary>
    public static async Task<byte[]> ReadSmallAsync(S3Request req, int maxBytes, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        try
        {
            await CopyToAsync(req, ms, maxBytes, null, ct);
        }
        catch (S3Exception e) when (e.Code == S3ErrorCode.EntityTooLarge)
        {
            throw new S3Exception(S3ErrorCode.MaxMessageLengthExceeded);
        }
        return ms.ToArray();
    }

    /// <summary>The decoded body, its declared length (null when not known) and the chunk decoder if any.</summary>
    private static (Stream Body, long? Declared, AwsChunkedStream? Chunked) Open(S3Request req)
    {
        var mode = req.Auth.PayloadMode;
        var contentEncoding = req.Header("Content-Encoding") ?? "";
        var isChunked = mode is PayloadMode.StreamingSigned or PayloadMode.StreamingSignedTrailer or PayloadMode.StreamingUnsignedTrailer
            || contentEncoding.Split(',').Any(e => e.Trim() == "aws-chunked");
        if (!isChunked)
        {
            return (req.Request.Body, req.Request.ContentLength, null);
        }
        long? decoded = null;
        if (req.Header("x-amz-decoded-content-length") is { } text)
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                throw new S3Exception(S3ErrorCode.InvalidArgument, "x-amz-decoded-content-length is not a number.").With("ArgumentName", "x-amz-decoded-content-length");
            }
            decoded = v;
        }
        else if (mode != PayloadMode.StreamingUnsignedTrailer)
        {
            throw new S3Exception(S3ErrorCode.MissingContentLength, "x-amz-decoded-content-length is required with aws-chunked bodies.");
        }
        var signing = mode is PayloadMode.StreamingSigned or PayloadMode.StreamingSignedTrailer ? req.Auth.Signing : null;
        var expectTrailer = mode is PayloadMode.StreamingSignedTrailer or PayloadMode.StreamingUnsignedTrailer;
        var chunked = new AwsChunkedStream(req.Request.Body, signing, expectTrailer, decoded);
        return (chunked, decoded, chunked);
    }

    private static byte[]? ParseContentMd5(string? value)
    {
        if (value is null)
        {
            return null;
        }
        try
        {
            var bytes = Convert.FromBase64String(value);
            if (bytes.Length == 16)
            {
                return bytes;
            }
        }
        catch (FormatException)
        {
        }
        throw new S3Exception(S3ErrorCode.InvalidDigest);
    }

    /// <summary>Which additional checksum the client asks for, its declared value (header), or that it comes as a trailer.</summary>
    private static (ChecksumAlgorithm? Algorithm, byte[]? Expected, bool FromTrailer) ChecksumRequest(S3Request req)
    {
        ChecksumAlgorithm? algorithm = null;
        byte[]? expected = null;
        foreach (var a in ChecksumNames.All)
        {
            if (req.Header(ChecksumNames.HeaderName(a)) is { } value)
            {
                if (algorithm is not null)
                {
                    throw new S3Exception(S3ErrorCode.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
                }
                algorithm = a;
                expected = DecodeChecksum(a, value);
            }
        }
        if (algorithm is not null)
        {
            return (algorithm, expected, false);
        }
        if (req.Header("x-amz-trailer") is { } trailer)
        {
            foreach (var a in ChecksumNames.All)
            {
                if (string.Equals(trailer.Trim(), ChecksumNames.HeaderName(a), StringComparison.OrdinalIgnoreCase))
                {
                    return (a, null, true);
                }
            }
            throw new S3Exception(S3ErrorCode.InvalidRequest, "The x-amz-trailer header names an unsupported trailer.");
        }
        if (req.Header("x-amz-sdk-checksum-algorithm") is { } named)
        {
            if (!ChecksumNames.TryParse(named, out var a))
            {
                throw new S3Exception(S3ErrorCode.InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.");
            }
            return (a, null, false);
        }
        return (null, null, false);
    }

    private static byte[] DecodeChecksum(ChecksumAlgorithm a, string value)
    {
        try
        {
            var bytes = Convert.FromBase64String(value.Trim());
            if (bytes.Length == ChecksumNames.Length(a))
            {
                return bytes;
            }
        }
        catch (FormatException)
        {
        }
        throw new S3Exception(S3ErrorCode.InvalidRequest, $"Value for {ChecksumNames.HeaderName(a)} header is invalid.");
    }
}
