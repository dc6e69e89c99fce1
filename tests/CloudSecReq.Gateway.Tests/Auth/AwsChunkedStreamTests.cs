using System.Text;
using CloudSecReq.Gateway.Auth;

namespace CloudSecReq.Gateway.Tests.Auth;

public sealed class AwsChunkedStreamTests
{
    // AWS's documented streaming example (S3 API reference, "Signature Calculations for the
    // Authorization Header: Transferring Payload in Multiple Chunks"): 66560 bytes of 'a' in chunks of 65536.
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string SeedSignature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    private static readonly string[] s_chunkSignatures =
    [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];

    private static SigningContext Context() => new(
        SigV4.DeriveSigningKey(Encoding.ASCII.GetBytes(Secret), "20130524", "us-east-1", "s3"),
        "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", SeedSignature);

    private static byte[] AwsExampleBody(string[] signatures)
    {
        var ms = new MemoryStream();
        void Chunk(int size, string sig)
        {
            ms.Write(Encoding.ASCII.GetBytes($"{size:x};chunk-signature={sig}\r\n"));
            ms.Write(Enumerable.Repeat((byte)'a', size).ToArray());
            ms.Write("\r\n"u8);
        }
        Chunk(65536, signatures[0]);
        Chunk(1024, signatures[1]);
        Chunk(0, signatures[2]);
        return ms.ToArray();
    }

    private static async Task<byte[]> DecodeAsync(Stream s)
    {
        var output = new MemoryStream();
        var buffer = new byte[7000]; // odd size: reads straddle chunk boundaries
        int n;
        while ((n = await s.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }
        return output.ToArray();
    }

    [Fact]
    public async Task Decode_AwsDocumentedSignedChunks_YieldsPayload()
    {
        using var chunked = new AwsChunkedStream(new MemoryStream(AwsExampleBody(s_chunkSignatures)), Context(), expectTrailer: false, decodedLength: 66560);
        var payload = await DecodeAsync(chunked);
        Assert.Equal(66560, payload.Length);
        Assert.All(payload, b => Assert.Equal((byte)'a', b));
    }

    [Fact]
    public async Task Decode_TamperedChunkData_ThrowsSignatureDoesNotMatch()
    {
        var body = AwsExampleBody(s_chunkSignatures);
        body[100] = (byte)'b';
        using var chunked = new AwsChunkedStream(new MemoryStream(body), Context(), false, 66560);
        var e = await Assert.ThrowsAsync<AuthException>(() => DecodeAsync(chunked));
        Assert.Equal(AuthFailure.SignatureMismatch, e.Failure);
    }

    [Fact]
    public async Task Decode_DroppedFinalChunk_ThrowsIncompleteBody()
    {
        var body = AwsExampleBody(s_chunkSignatures);
        var cut = body.AsSpan(0, body.Length - ("0;chunk-signature=".Length + 64 + 4)).ToArray();
        using var chunked = new AwsChunkedStream(new MemoryStream(cut), Context(), false, 66560);
        var e = await Assert.ThrowsAsync<AuthException>(() => DecodeAsync(chunked));
        Assert.Equal(AuthFailure.IncompleteBody, e.Failure);
    }

    [Fact]
    public async Task Decode_SwappedChunkSignatures_ThrowsSignatureDoesNotMatch()
    {
        var swapped = new[] { s_chunkSignatures[1], s_chunkSignatures[0], s_chunkSignatures[2] };
        using var chunked = new AwsChunkedStream(new MemoryStream(AwsExampleBody(swapped)), Context(), false, 66560);
        var e = await Assert.ThrowsAsync<AuthException>(() => DecodeAsync(chunked));
        Assert.Equal(AuthFailure.SignatureMismatch, e.Failure);
    }

    [Fact]
    public async Task Decode_UnsignedWithTrailer_CollectsTrailer()
    {
        var body = Encoding.ASCII.GetBytes("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
        using var chunked = new AwsChunkedStream(new MemoryStream(body), null, expectTrailer: true, decodedLength: 11);
        Assert.Equal("hello world", Encoding.ASCII.GetString(await DecodeAsync(chunked)));
        Assert.Equal("DUoRhQ==", chunked.Trailers["x-amz-checksum-crc32"]);
    }

    [Fact]
    public async Task Decode_LengthDifferentFromDeclared_ThrowsIncompleteBody()
    {
        var body = Encoding.ASCII.GetBytes("5\r\nhello\r\n0\r\n\r\n");
        using var chunked = new AwsChunkedStream(new MemoryStream(body), null, expectTrailer: false, decodedLength: 6);
        var e = await Assert.ThrowsAsync<AuthException>(() => DecodeAsync(chunked));
        Assert.Equal(AuthFailure.IncompleteBody, e.Failure);
    }

    [Fact]
    public async Task Decode_ChunkLongerThanHeaderSays_IsRejected()
    {
        var body = Encoding.ASCII.GetBytes("3\r\nhello\r\n0\r\n\r\n");
        using var chunked = new AwsChunkedStream(new MemoryStream(body), null, expectTrailer: false, decodedLength: null);
        var e = await Assert.ThrowsAsync<AuthException>(() => DecodeAsync(chunked));
        Assert.Equal(AuthFailure.MalformedChunk, e.Failure);
    }

    [Fact]
    public async Task Decode_SignedTrailer_VerifiesTrailerSignature()
    {
        // Build a signed-trailer body with our own signer and check that a changed trailer is refused.
        var ctx = Context();
        string Sign(string previous, byte[] data) => SigV4.Sign(ctx.SigningKey,
            $"AWS4-HMAC-SHA256-PAYLOAD\n{ctx.AmzDate}\n{ctx.Scope}\n{previous}\n{SigV4.EmptySha256}\n{SigV4.Sha256Hex(data)}");
        byte[] Build(string trailerValue, string signedTrailerValue)
        {
            var data = Encoding.ASCII.GetBytes("abc");
            var s1 = Sign(ctx.SeedSignature, data);
            var s2 = Sign(s1, []);
            var trailerSig = SigV4.Sign(ctx.SigningKey,
                $"AWS4-HMAC-SHA256-TRAILER\n{ctx.AmzDate}\n{ctx.Scope}\n{s2}\n{SigV4.Sha256Hex(Encoding.ASCII.GetBytes($"x-amz-checksum-crc32:{signedTrailerValue}\n"))}");
            return Encoding.ASCII.GetBytes($"3;chunk-signature={s1}\r\nabc\r\n0;chunk-signature={s2}\r\nx-amz-checksum-crc32:{trailerValue}\r\nx-amz-trailer-signature:{trailerSig}\r\n\r\n");
        }
        using (var good = new AwsChunkedStream(new MemoryStream(Build("NSRBwg==", "NSRBwg==")), ctx, true, 3))
        {
            Assert.Equal("abc", Encoding.ASCII.GetString(await DecodeAsync(good)));
        }
        using var bad = new AwsChunkedStream(new MemoryStream(Build("AAAAAA==", "NSRBwg==")), ctx, true, 3);
        var e = await Assert.ThrowsAsync<AuthException>(() => DecodeAsync(bad));
        Assert.Equal(AuthFailure.SignatureMismatch, e.Failure);
    }
}
