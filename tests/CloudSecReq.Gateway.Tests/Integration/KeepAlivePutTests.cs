using System.Globalization;
using System.Text;
using CloudSecReq.Gateway.Auth;
using Microsoft.Extensions.Logging;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Issue 11: PUTs on reused keep-alive connections, several at once, as wrk sends them, over raw TLS
/// sockets: bodies ending on and off buffer boundaries, in the three framings (Content-Length,
/// aws-chunked, HTTP chunked), back-to-back requests, and a client that aborts mid-body while the
/// other connections go on. Every stored object is compared byte by byte.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KeepAlivePutTests(GatewayFixture gateway)
{
    private const int Kib = 1024;
    private const int Mib = 1024 * 1024;
    private static readonly int[] s_sizes = [64 * Kib, 64 * Kib - 1, 64 * Kib + 1, Mib + 17, 3 * Mib + 5, 0, 1, Mib, 9 * Mib - 3];

    private enum Framing
    {
        ContentLength,
        AwsChunked,
        HttpChunked,
    }

    private byte[] Put(Tenants.NewCredentials tenant, string bucket, string objectKey, byte[] body, Framing framing)
    {
        switch (framing)
        {
            case Framing.ContentLength:
                return RawHttps.SignedPut(gateway, tenant, bucket, objectKey, body);
            case Framing.AwsChunked:
                return AwsChunkedBuilder.Put(gateway, tenant, bucket, objectKey, body.Length, b =>
                {
                    for (var at = 0; at < body.Length; at += 64 * Kib)
                    {
                        b.Chunk(body.AsSpan(at, Math.Min(64 * Kib, body.Length - at)));
                    }
                    return b.Chunk([]).ToArray();
                });
            default:
                var (head, _) = RawHttps.SignedHead(gateway, tenant, "PUT", $"/{bucket}/{objectKey}", "", SigV4.UnsignedPayload,
                    unsigned: [new("transfer-encoding", "chunked")]);
                var wire = new MemoryStream();
                wire.Write(head);
                for (var at = 0; at < body.Length; at += 10_000)
                {
                    var n = Math.Min(10_000, body.Length - at);
                    wire.Write(Encoding.ASCII.GetBytes($"{n:x}\r\n"));
                    wire.Write(body, at, n);
                    wire.Write("\r\n"u8);
                }
                wire.Write("0\r\n\r\n"u8);
                return wire.ToArray();
        }
    }

    [Fact]
    public async Task PutObject_ConcurrentKeepAliveConnectionsAndOneAbortMidBody_EveryObjectStoredIntactAndAbortLogged()
    {
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        using var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync(bucket);
        // The catalog snapshot of the new tenant and bucket, written now rather than in the window below: its
        // background write releases the previous snapshot, which warns when an earlier test took that copy's disk away.
        await gateway.Host.CatalogSnapshots.WriteIfChangedAsync(default);
        var log = gateway.Log.Start();
        var random = new Random(11);
        var expected = new Dictionary<string, byte[]>();

        // Four connections, each PUT after PUT on the same connection; the last two of each go back to back (pipelined).
        async Task RunConnectionAsync(int connection, List<(string ObjectKey, byte[] Wire)> puts)
        {
            await using var c = await RawHttps.OpenAsync(gateway);
            for (var i = 0; i < puts.Count; i++)
            {
                if (i == puts.Count - 2)
                {
                    await c.SendAsync(puts[i].Wire.Concat(puts[i + 1].Wire).ToArray());
                    foreach (var (objectKey, _) in puts.Skip(i))
                    {
                        var r = await c.ReadResponseAsync();
                        Assert.True(r is { Status: 200, ClosesConnection: false }, $"{objectKey} on connection {connection}: {r}");
                    }
                    break;
                }
                await c.SendAsync(puts[i].Wire);
                var response = await c.ReadResponseAsync();
                Assert.True(response is { Status: 200, ClosesConnection: false }, $"{puts[i].ObjectKey} on connection {connection}: {response}");
            }
        }

        var connections = new List<List<(string, byte[])>>();
        for (var connection = 0; connection < 4; connection++)
        {
            var puts = new List<(string, byte[])>();
            for (var i = 0; i < s_sizes.Length; i++)
            {
                var size = s_sizes[(i + connection) % s_sizes.Length];
                var framing = (Framing)((i + connection) % 3);
                var body = new byte[size];
                random.NextBytes(body);
                var objectKey = $"c{connection}/{i}-{framing}-{size}";
                expected[objectKey] = body;
                puts.Add((objectKey, Put(tenant, bucket, objectKey, body, framing)));
            }
            connections.Add(puts);
        }

        // Two more connections: one good PUT, then a PUT cut after 1 of its 8 MiB, by a reset or by a FIN without TLS close_notify.
        async Task AbortMidBodyAsync(bool reset)
        {
            await using var c = await RawHttps.OpenAsync(gateway);
            var good = new byte[100_000];
            new Random(reset ? 1 : 2).NextBytes(good);
            lock (expected)
            {
                expected[$"abort/before-{reset}"] = good;
            }
            await c.SendAsync(Put(tenant, bucket, $"abort/before-{reset}", good, Framing.ContentLength));
            Assert.Equal(200, (await c.ReadResponseAsync())?.Status);
            var (head, _) = RawHttps.SignedHead(gateway, tenant, "PUT", $"/{bucket}/abort/cut-{reset}", "", SigV4.UnsignedPayload,
                [new("content-length", (8 * Mib).ToString(CultureInfo.InvariantCulture)), new("expect", "100-continue")]);
            await c.SendAsync(head);
            // 100 Continue: the gateway is reading the body now. A reset before would drop the request unseen.
            Assert.Equal(100, (await c.ReadResponseAsync())?.Status);
            await c.SendAsync(new byte[Mib]);
            if (reset)
            {
                c.Reset();
            }
            else
            {
                c.CloseWithoutTlsClose();
            }
        }

        await Task.WhenAll(connections.Select((puts, i) => Task.Run(() => RunConnectionAsync(i, puts))).Append(Task.Run(() => AbortMidBodyAsync(reset: true))).Append(Task.Run(() => AbortMidBodyAsync(reset: false))));

        foreach (var (objectKey, body) in expected)
        {
            using var get = await s3.GetObjectAsync(bucket, objectKey);
            using var stored = new MemoryStream();
            await get.ResponseStream.CopyToAsync(stored);
            Assert.True(body.AsSpan().SequenceEqual(stored.ToArray()), $"{objectKey}: {stored.Length} bytes stored, {body.Length} sent, or different bytes");
        }
        var listed = await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), (listed.S3Objects ?? []).Select(o => o.Key));

        // Both aborts are logged as such (information), once each; nothing is logged as a failure.
        await gateway.Log.WaitForAsync(_ => log.Since().Count(e => e.Message.Contains("PutObject aborted by the client", StringComparison.Ordinal)) == 2,
            RawHttps.Deadline, "both aborts mid-body");
        var problems = log.Since().Where(e => e.Level >= LogLevel.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}")));
    }
}
