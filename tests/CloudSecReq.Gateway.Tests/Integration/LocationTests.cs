using System.Net;
using System.Security.Cryptography;
using System.Xml.Linq;
using Amazon.S3.Model;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>Tenants ask where their data is: GET /bucket/key?locate, GET /bucket?locate, and csr object locate.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LocationTests(GatewayFixture gateway)
{
    private async Task<(HttpStatusCode Status, XElement? Body)> LocateAsync(NewCredentials who, string rawPath)
    {
        using var http = gateway.HttpClient();
        var host = $"127.0.0.1:{gateway.Endpoint.Port}";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{host}{rawPath}?locate");
        foreach (var (name, value) in HandSigner.Sign("GET", host, rawPath, "locate", SigV4.EmptySha256, who.AccessKeyId, who.SecretAccessKey, TimeProvider.System.GetUtcNow()))
        {
            if (name != "host")
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? XElement.Parse(text) : null);
    }

    private static IEnumerable<XElement> All(XElement e, string name) => e.Descendants().Where(d => d.Name.LocalName == name);

    [Fact]
    public async Task Locate_ObjectAndBucket_NameTheVolumesRacksAndSitesThatHoldTheData()
    {
        var tenant = await gateway.NewTenantAsync("loc");
        using var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var init = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var p1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(RandomNumberGenerator.GetBytes(5 * 1024 * 1024)) });
        var p2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(new byte[1000]) });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, p1.ETag), new PartETag(2, p2.ETag)] });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "small", ContentBody = "x" });

        var (status, body) = await LocateAsync(tenant, $"/{bucket}/mp");
        Assert.Equal(HttpStatusCode.OK, status);
        var segments = All(body!, "Segment").ToList();
        Assert.Equal(["1", "2"], segments.Select(s => All(s, "PartNumber").Single().Value));
        var record = (await gateway.Host.Data.Store.GetObjectAsync(bucket, "mp", default))!;
        var volumes = gateway.Host.Data.Volumes.ToDictionary(v => v.Id);
        for (var i = 0; i < segments.Count; i++)
        {
            // STANDARD is 4+2: six shards on six volumes, at most two per rack.
            var pieces = All(segments[i], "Piece").ToList();
            Assert.Equal(6, pieces.Count);
            for (var j = 0; j < pieces.Count; j++)
            {
                var volume = volumes[record.Segments[i].Shards[j].VolumeId];
                Assert.Equal(volume.Id, All(pieces[j], "Volume").Single().Value);
                Assert.Equal(volume.Config.Rack, All(pieces[j], "RackName").Single().Value);
                Assert.Equal(volume.Config.Site, All(pieces[j], "Site").Single().Value);
                Assert.Equal("ok", All(pieces[j], "State").Single().Value);
            }
            Assert.Equal(6, pieces.Select(p => All(p, "Volume").Single().Value).Distinct().Count());
            Assert.All(pieces.GroupBy(p => All(p, "RackName").Single().Value), rack => Assert.True(rack.Count() <= 2));
        }

        // A small object is stored inline: three whole copies (m + 1) in the manifest logs of three racks.
        (status, body) = await LocateAsync(tenant, $"/{bucket}/small");
        Assert.Equal(HttpStatusCode.OK, status);
        var small = (await gateway.Host.Data.Store.GetObjectAsync(bucket, "small", default))!;
        var inline = All(body!, "Segment").Single();
        Assert.Equal("inline, 3 copies", All(inline, "Layout").Single().Value);
        var copies = All(inline, "Piece").ToList();
        Assert.Equal(small.Manifests.Select(m => m.VolumeId), copies.Select(p => All(p, "Volume").Single().Value));
        Assert.Equal(3, copies.Select(p => All(p, "RackName").Single().Value).Distinct().Count());
        Assert.Equal("erasure 4+2", All(segments[0], "Layout").Single().Value);

        (status, body) = await LocateAsync(tenant, $"/{bucket}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2", All(body!, "Objects").Single().Value);
        var stored = All(body!, "StoredBytes").Sum(e => long.Parse(e.Value));
        var expected = record.Segments.Sum(s => s.ShardFileBytes * s.Shards.Count) + small.Manifests.Sum(m => (long)m.Extent.Length);
        Assert.Equal(expected, stored);

        var other = await gateway.NewTenantAsync("loc");
        Assert.Equal(HttpStatusCode.Forbidden, (await LocateAsync(other, $"/{bucket}/mp")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await LocateAsync(tenant, $"/{bucket}/missing")).Status);

        var cli = await ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "csr.dll"), "object", "locate", bucket, "mp", "--data", gateway.DataDirectory]);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.All(record.Segments[0].Shards, shard => Assert.Contains(shard.VolumeId, cli.Stdout));
        Assert.Contains(volumes[record.Segments[0].Shards[0].VolumeId].Config.Rack, cli.Stdout);
    }
}
