using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml.Linq;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Auth;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>Requests signed by hand that no ordinary client sends: a skewed clock, a body cut off mid-upload.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HandSignedRequestTests(GatewayFixture gateway)
{
    private string Host => $"127.0.0.1:{gateway.Endpoint.Port}";

    [Theory]
    [InlineData(-20)]
    [InlineData(20)]
    public async Task SignedRequest_DateTwentyMinutesOff_IsRequestTimeTooSkewed(int offsetMinutes)
    {
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync(bucket);
        using var http = gateway.HttpClient();

        async Task<HttpResponseMessage> SendAsync(DateTimeOffset time)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.Endpoint, $"/{bucket}?list-type=2"));
            foreach (var (name, value) in HandSigner.Sign("GET", Host, "/" + bucket, "list-type=2", SigV4.EmptySha256, tenant.AccessKeyId, tenant.SecretAccessKey, time))
            {
                if (name != "host")
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }
            return await http.SendAsync(request);
        }

        // The same signer with the right time is accepted: the refusal below is about the clock only.
        using (var ok = await SendAsync(TimeProvider.System.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var skewed = await SendAsync(TimeProvider.System.GetUtcNow().AddMinutes(offsetMinutes));
        Assert.Equal(HttpStatusCode.Forbidden, skewed.StatusCode);
        var error = XDocument.Parse(await skewed.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("RequestTimeTooSkewed", error.Element("Code")?.Value);
        Assert.NotNull(error.Element("RequestId"));
    }

    [Fact]
    public async Task HeadOfMissingKeyAndNotModifiedGet_AnswerTheStatusAndErrorCodeHeaderWithoutBody()
    {
        // Expected outcomes answered by the handler (issue 12), on the wire as the error writer answers a HEAD.
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync(bucket);
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        using var http = new SignedRequests(gateway, tenant);

        var head = await http.SendAsync("HEAD", $"/{bucket}/absent");
        Assert.Equal(HttpStatusCode.NotFound, head.Status);
        Assert.Equal("NoSuchKey", head.Header("x-amz-error-code"));
        var notModified = await http.SendAsync("GET", $"/{bucket}/k", signedHeaders: [new("If-None-Match", put.ETag)]);
        Assert.Equal(HttpStatusCode.NotModified, notModified.Status);
        Assert.Equal("NotModified", notModified.Header("x-amz-error-code"));
        Assert.Null(notModified.Header("ETag"));
        foreach (var reply in new[] { head, notModified })
        {
            Assert.Equal("", reply.Body);
            Assert.NotNull(reply.Header("x-amz-request-id"));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PutObject_ConnectionClosedAfter5Of50MiB_LeavesNoObjectTempFileOrBlob(bool reset)
    {
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync(bucket);
        var volumes = Path.Combine(gateway.DataDirectory, "volumes");
        Assert.NotEmpty(Directory.GetDirectories(volumes));
        var blobsBefore = Files(volumes, "blobs").ToHashSet();

        const long declaredBytes = 50L * 1024 * 1024;
        const int sentBytes = 5 * 1024 * 1024;
        var headers = HandSigner.Sign("PUT", Host, $"/{bucket}/cut.bin", "", SigV4.UnsignedPayload, tenant.AccessKeyId, tenant.SecretAccessKey, TimeProvider.System.GetUtcNow(),
            [new("content-length", declaredBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var head = new StringBuilder($"PUT /{bucket}/cut.bin HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append("\r\n");

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, gateway.Endpoint.Port);
            await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, TrustGatewayCa);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" });
            await tls.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
            var chunk = RandomNumberGenerator.GetBytes(1024 * 1024);
            for (var sent = 0; sent < sentBytes; sent += chunk.Length)
            {
                await tls.WriteAsync(chunk);
            }
            await tls.FlushAsync();
            // The gateway is streaming the body into a temporary file: the check below is not vacuous.
            var started = TimeProvider.System.GetUtcNow().AddSeconds(15);
            while (Files(volumes, "tmp").Count == 0 && TimeProvider.System.GetUtcNow() < started)
            {
                await Task.Delay(50);
            }
            Assert.NotEmpty(Files(volumes, "tmp"));
            if (reset)
            {
                // RST instead of an orderly TLS close_notify + FIN.
                tcp.Client.LingerState = new LingerOption(true, 0);
                tcp.Client.Close();
            }
        }

        // The gateway notices the reset and cleans up asynchronously: wait for tmp/ to drain.
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(15);
        while (Files(volumes, "tmp").Count > 0 && TimeProvider.System.GetUtcNow() < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Empty(Files(volumes, "tmp"));
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "cut.bin"));
        Assert.Equal("NoSuchKey", e.ErrorCode);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
        Assert.Empty(Files(volumes, "blobs").Except(blobsBefore));

        // The gateway still serves the same key afterwards.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cut.bin", ContentBody = "whole" });
        using var get = await s3.GetObjectAsync(bucket, "cut.bin");
        Assert.Equal("whole", await new StreamReader(get.ResponseStream).ReadToEndAsync());
    }

    /// <summary>Every file under volumes/*/<paramref name="area"/>, as full paths.</summary>
    private static List<string> Files(string volumes, string area) =>
        Directory.GetDirectories(volumes)
            .Select(v => Path.Combine(v, area))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .ToList();

    private bool TrustGatewayCa(object sender, X509Certificate? certificate, X509Chain? _, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(gateway.CaBundlePath)));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }
}
