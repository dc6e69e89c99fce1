using System.Text;
using CloudSecReq.Gateway.Auth;

namespace CloudSecReq.Gateway.Tests.Auth;

/// <summary>
/// Drives <see cref="SigV4"/> with AWS's published Signature Version 4 test suite (the vectors under
/// Auth/Vectors, see the README there) and with the worked examples of the Amazon S3 documentation.
/// Each suite case is checked in three stages (canonical request, string to sign, signature) so that
/// a failure names the stage that went wrong.
/// </summary>
public sealed class SigV4TestSuiteTests
{
    private const string SuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string SuiteDate = "20150830";
    private const string SuiteRegion = "us-east-1";
    private const string SuiteService = "service";
    private const string SuiteScope = "20150830/us-east-1/service/aws4_request";

    private static readonly string s_vectorRoot = Path.Combine(AppContext.BaseDirectory, "Auth", "Vectors");

    /// <summary>One row per vector folder, named by its path under Vectors (for example "normalize-path/get-slash").</summary>
    public static TheoryData<string> SuiteCases()
    {
        var data = new TheoryData<string>();
        foreach (var req in Directory.EnumerateFiles(s_vectorRoot, "*.req", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(s_vectorRoot, Path.GetDirectoryName(req)!).Replace('\\', '/'));
        }
        return data;
    }

    [Fact]
    public void SuiteCases_VectorFolder_HoldsAtLeastTwentyCases() => Assert.True(SuiteCases().Count >= 20, $"only {SuiteCases().Count} vectors found under {s_vectorRoot}");

    [Theory]
    [MemberData(nameof(SuiteCases))]
    public void SigV4_AwsTestSuiteVector_MatchesCanonicalRequestStringToSignAndSignature(string caseName)
    {
        var dir = Path.Combine(s_vectorRoot, caseName);
        var name = Path.GetFileName(dir);
        string Read(string ext) => File.ReadAllText(Path.Combine(dir, name + "." + ext), Encoding.UTF8);

        var request = SuiteRequest.Parse(Read("req"));
        var signedHeaders = request.Headers
            .Select(h => h.Key.ToLowerInvariant())
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        var amzDate = request.Headers.Single(h => h.Key.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)).Value.Trim();

        var creq = SigV4.CanonicalRequest(
            request.Method,
            request.RawPath,
            request.RawQuery,
            request.Headers,
            signedHeaders,
            SigV4.Sha256Hex(Encoding.UTF8.GetBytes(request.Body)),
            normalizePath: true);
        Assert.Equal(Read("creq"), creq);

        var sts = SigV4.StringToSign(amzDate, SuiteScope, creq);
        Assert.Equal(Read("sts"), sts);

        var key = SigV4.DeriveSigningKey(Encoding.UTF8.GetBytes(SuiteSecret), SuiteDate, SuiteRegion, SuiteService);
        var authz = Read("authz");
        Assert.Equal(authz[(authz.LastIndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length)..], SigV4.Sign(key, sts));
        Assert.Contains("SignedHeaders=" + string.Join(';', signedHeaders) + ",", authz, StringComparison.Ordinal);
    }

    // "Examples of how to derive a signing key for Signature Version 4" (AWS IAM user guide).
    [Fact]
    public void DeriveSigningKey_AwsDocumentedIamExample_MatchesPublishedKey()
    {
        var key = SigV4.DeriveSigningKey(Encoding.UTF8.GetBytes(SuiteSecret), "20120215", "us-east-1", "iam");

        Assert.Equal("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d", Convert.ToHexStringLower(key));
    }

    // The S3 examples ("Signature Calculations for the Authorization Header: Transferring Payload in a
    // Single Chunk", and "... in Multiple Chunks" for the seed signature) share these values.
    private const string S3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string S3AmzDate = "20130524T000000Z";
    private const string S3Scope = "20130524/us-east-1/s3/aws4_request";

    private static string S3Sign(string stringToSign) =>
        SigV4.Sign(SigV4.DeriveSigningKey(Encoding.UTF8.GetBytes(S3Secret), "20130524", "us-east-1", "s3"), stringToSign);

    private static List<KeyValuePair<string, string>> Headers(params (string Name, string Value)[] headers) =>
        headers.Select(h => KeyValuePair.Create(h.Name, h.Value)).ToList();

    [Fact]
    public void CanonicalRequest_S3GetObjectWithRange_MatchesDocumentedRequestAndSignature()
    {
        var headers = Headers(
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", SigV4.EmptySha256),
            ("x-amz-date", S3AmzDate));

        var creq = SigV4.CanonicalRequest("GET", "/test.txt", "", headers,
            ["host", "range", "x-amz-content-sha256", "x-amz-date"], SigV4.EmptySha256, normalizePath: false);
        var sts = SigV4.StringToSign(S3AmzDate, S3Scope, creq);

        Assert.Equal(
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n" +
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" +
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            creq);
        Assert.Equal(
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            sts);
        Assert.Equal("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", S3Sign(sts));
    }

    [Fact]
    public void CanonicalRequest_S3PutObjectWithDollarInKey_EncodesKeyOnceAndMatchesDocumentedSignature()
    {
        var payloadHash = SigV4.Sha256Hex("Welcome to Amazon S3."u8);
        var headers = Headers(
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", S3AmzDate),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", payloadHash));

        var creq = SigV4.CanonicalRequest("PUT", "/test$file.text", "", headers,
            ["date", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-storage-class"], payloadHash, normalizePath: false);

        Assert.Equal("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", payloadHash);
        Assert.StartsWith("PUT\n/test%24file.text\n\n", creq, StringComparison.Ordinal);
        Assert.Equal("98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            S3Sign(SigV4.StringToSign(S3AmzDate, S3Scope, creq)));
    }

    [Fact]
    public void CanonicalQuery_S3GetBucketLifecycle_ValuelessSubresourceGetsEqualsAndMatchesDocumentedSignature()
    {
        var headers = Headers(
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-date", S3AmzDate),
            ("x-amz-content-sha256", SigV4.EmptySha256));

        var creq = SigV4.CanonicalRequest("GET", "/", "lifecycle", headers,
            ["host", "x-amz-content-sha256", "x-amz-date"], SigV4.EmptySha256, normalizePath: false);

        Assert.StartsWith("GET\n/\nlifecycle=\n", creq, StringComparison.Ordinal);
        Assert.Equal("fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            S3Sign(SigV4.StringToSign(S3AmzDate, S3Scope, creq)));
    }

    [Fact]
    public void CanonicalQuery_S3ListObjects_SortsParametersAndMatchesDocumentedSignature()
    {
        var headers = Headers(
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-date", S3AmzDate),
            ("x-amz-content-sha256", SigV4.EmptySha256));

        var creq = SigV4.CanonicalRequest("GET", "/", "prefix=J&max-keys=2", headers,
            ["host", "x-amz-content-sha256", "x-amz-date"], SigV4.EmptySha256, normalizePath: false);

        Assert.StartsWith("GET\n/\nmax-keys=2&prefix=J\n", creq, StringComparison.Ordinal);
        Assert.Equal("34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            S3Sign(SigV4.StringToSign(S3AmzDate, S3Scope, creq)));
    }

    [Fact]
    public void CanonicalRequest_S3ChunkedUploadHeaders_MatchesDocumentedSeedSignature()
    {
        var headers = Headers(
            ("Host", "s3.amazonaws.com"),
            ("x-amz-date", S3AmzDate),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", SigV4.StreamingSignedPayload),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("Content-Length", "66824"));

        var creq = SigV4.CanonicalRequest("PUT", "/examplebucket/chunkObject.txt", "", headers,
            ["content-encoding", "content-length", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-decoded-content-length", "x-amz-storage-class"],
            SigV4.StreamingSignedPayload, normalizePath: false);
        var sts = SigV4.StringToSign(S3AmzDate, S3Scope, creq);

        Assert.EndsWith("\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD", creq, StringComparison.Ordinal);
        Assert.EndsWith("\ncee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455", sts, StringComparison.Ordinal);
        Assert.Equal("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", S3Sign(sts));
    }

    [Fact]
    public void CanonicalUri_S3KeyWithDotSegmentsAndDoubleSlash_IsNotNormalised() => Assert.Equal("/a/./b//../c", SigV4.CanonicalUri("/a/./b//../c", normalizePath: false));

    /// <summary>
    /// The suite's .req format: "METHOD SP target SP HTTP/1.1", header lines "Name:value" where a line that
    /// starts with white space continues the header above it (the suite's creq lists each such line as a
    /// further value of that header, joined by commas), a blank line, then the body.
    /// </summary>
    private sealed record SuiteRequest(string Method, string RawPath, string RawQuery, List<KeyValuePair<string, string>> Headers, string Body)
    {
        public static SuiteRequest Parse(string text)
        {
            var headEnd = text.IndexOf("\n\n", StringComparison.Ordinal);
            var head = headEnd < 0 ? text : text[..headEnd];
            var body = headEnd < 0 ? "" : text[(headEnd + 2)..];
            var lines = head.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();

            var requestLine = lines[0];
            var firstSpace = requestLine.IndexOf(' ');
            var lastSpace = requestLine.LastIndexOf(' ');
            var method = requestLine[..firstSpace];
            var target = requestLine[(firstSpace + 1)..lastSpace];
            var q = target.IndexOf('?');
            var rawPath = q < 0 ? target : target[..q];
            var rawQuery = q < 0 ? "" : target[(q + 1)..];

            var headers = new List<KeyValuePair<string, string>>();
            foreach (var line in lines.Skip(1))
            {
                if (line[0] is ' ' or '\t')
                {
                    headers.Add(KeyValuePair.Create(headers[^1].Key, line));
                    continue;
                }
                var colon = line.IndexOf(':');
                headers.Add(KeyValuePair.Create(line[..colon], line[(colon + 1)..]));
            }
            return new SuiteRequest(method, rawPath, rawQuery, headers, body);
        }
    }
}
