using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>The S3 data plane driven by the official AWS SDK for .NET (AWSSDK.S3 4.x) over HTTPS.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SdkObjectTests(GatewayFixture gateway)
{
    private async Task<(AmazonS3Client Client, string Bucket)> NewBucketAsync()
    {
        var tenant = await gateway.NewTenantAsync();
        var client = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await client.PutBucketAsync(bucket);
        return (client, bucket);
    }

    [Fact]
    public async Task PutObject_WithMetadataAndHeaders_RoundTripsOnGetAndHead()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = RandomNumberGenerator.GetBytes(100_000);
        var put = new PutObjectRequest { BucketName = bucket, Key = "dir/obj ü+&.bin", InputStream = new MemoryStream(body), ContentType = "application/x-test" };
        put.Metadata.Add("colour", "blue");
        put.Headers.CacheControl = "max-age=60";
        put.Headers.ContentDisposition = "attachment; filename=\"x.bin\"";
        var putResponse = await s3.PutObjectAsync(put);
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(body)) + "\"", putResponse.ETag);

        using var get = await s3.GetObjectAsync(bucket, "dir/obj ü+&.bin");
        using var ms = new MemoryStream();
        await get.ResponseStream.CopyToAsync(ms);
        Assert.Equal(body, ms.ToArray());
        Assert.Equal("application/x-test", get.Headers.ContentType);
        Assert.Equal("blue", get.Metadata["colour"]);
        Assert.Equal("max-age=60", get.Headers.CacheControl);
        Assert.Equal(putResponse.ETag, get.ETag);

        var head = await s3.GetObjectMetadataAsync(bucket, "dir/obj ü+&.bin");
        Assert.Equal(body.Length, head.ContentLength);
        Assert.Equal("attachment; filename=\"x.bin\"", head.Headers.ContentDisposition);
    }

    [Fact]
    public async Task GetObject_WithRange_ReturnsPartialContent()
    {
        var (s3, bucket) = await NewBucketAsync();
        var body = Encoding.ASCII.GetBytes("0123456789abcdefghij");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "r", InputStream = new MemoryStream(body) });
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "r", ByteRange = new ByteRange(5, 9) });
        Assert.Equal(HttpStatusCode.PartialContent, get.HttpStatusCode);
        Assert.Equal("56789", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        Assert.Equal("bytes 5-9/20", get.ContentRange);

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "r", ByteRange = new ByteRange(50, 60) }));
        Assert.Equal("InvalidRange", e.ErrorCode);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, e.StatusCode);
    }

    [Fact]
    public async Task GetObject_WithConditions_AnswersNotModifiedAndPreconditionFailed()
    {
        var (s3, bucket) = await NewBucketAsync();
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "c", ContentBody = "x" });
        var notModified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToNotMatch = put.ETag }));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        var failed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToMatch = "\"0000\"" }));
        Assert.Equal("PreconditionFailed", failed.ErrorCode);
        using var ok = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToMatch = put.ETag });
        Assert.Equal(HttpStatusCode.OK, ok.HttpStatusCode);
    }

    [Fact]
    public async Task MultipartUpload_ThreeParts_CompletesWithMultipartETagAndContent()
    {
        var (s3, bucket) = await NewBucketAsync();
        var parts = new[] { RandomNumberGenerator.GetBytes(5 * 1024 * 1024), RandomNumberGenerator.GetBytes(5 * 1024 * 1024), RandomNumberGenerator.GetBytes(1234) };
        var init = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var etags = new List<PartETag>();
        for (var i = 0; i < parts.Length; i++)
        {
            var up = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = i + 1, InputStream = new MemoryStream(parts[i]) });
            etags.Add(new PartETag(i + 1, up.ETag));
        }
        var listed = await s3.ListPartsAsync(bucket, "mp", init.UploadId);
        Assert.Equal(3, listed.Parts.Count);
        var uploads = await s3.ListMultipartUploadsAsync(bucket);
        Assert.Contains(uploads.MultipartUploads, u => u.UploadId == init.UploadId);
        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = etags });
        var md5s = parts.SelectMany(MD5.HashData).ToArray();
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(md5s))}-3\"", done.ETag);

        using var get = await s3.GetObjectAsync(bucket, "mp");
        using var ms = new MemoryStream();
        await get.ResponseStream.CopyToAsync(ms);
        Assert.Equal(parts.SelectMany(p => p).ToArray(), ms.ToArray());
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListPartsAsync(bucket, "mp", init.UploadId));
        Assert.Equal("NoSuchUpload", gone.ErrorCode);
    }

    [Fact]
    public async Task CompleteMultipartUpload_SmallNonLastPart_IsEntityTooSmall()
    {
        var (s3, bucket) = await NewBucketAsync();
        var init = await s3.InitiateMultipartUploadAsync(bucket, "small");
        var p1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "small", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(new byte[10]) });
        var p2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "small", UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(new byte[10]) });
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "small", UploadId = init.UploadId, PartETags = [new PartETag(1, p1.ETag), new PartETag(2, p2.ETag)],
        }));
        Assert.Equal("EntityTooSmall", e.ErrorCode);
        await s3.AbortMultipartUploadAsync(bucket, "small", init.UploadId);
        Assert.Empty((await s3.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
    }

    [Fact]
    public async Task UploadPartCopy_WithRanges_AssemblesObject()
    {
        var (s3, bucket) = await NewBucketAsync();
        var source = RandomNumberGenerator.GetBytes(6 * 1024 * 1024);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", InputStream = new MemoryStream(source) });
        var init = await s3.InitiateMultipartUploadAsync(bucket, "dst");
        var c1 = await s3.CopyPartAsync(new CopyPartRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst", UploadId = init.UploadId, PartNumber = 1, FirstByte = 0, LastByte = 5 * 1024 * 1024 - 1 });
        var c2 = await s3.CopyPartAsync(new CopyPartRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst", UploadId = init.UploadId, PartNumber = 2, FirstByte = 5 * 1024 * 1024, LastByte = source.Length - 1 });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "dst", UploadId = init.UploadId, PartETags = [new PartETag(1, c1.ETag), new PartETag(2, c2.ETag)] });
        using var get = await s3.GetObjectAsync(bucket, "dst");
        using var ms = new MemoryStream();
        await get.ResponseStream.CopyToAsync(ms);
        Assert.Equal(source, ms.ToArray());
    }

    [Fact]
    public async Task CopyObject_CopyAndReplaceDirectives_KeepOrReplaceMetadata()
    {
        var (s3, bucket) = await NewBucketAsync();
        var put = new PutObjectRequest { BucketName = bucket, Key = "a", ContentBody = "payload" };
        put.Metadata.Add("k", "v1");
        await s3.PutObjectAsync(put);
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "a", DestinationBucket = bucket, DestinationKey = "b" });
        Assert.Equal("v1", (await s3.GetObjectMetadataAsync(bucket, "b")).Metadata["k"]);
        var replace = new CopyObjectRequest { SourceBucket = bucket, SourceKey = "a", DestinationBucket = bucket, DestinationKey = "a", MetadataDirective = S3MetadataDirective.REPLACE };
        replace.Metadata.Add("k", "v2");
        await s3.CopyObjectAsync(replace);
        Assert.Equal("v2", (await s3.GetObjectMetadataAsync(bucket, "a")).Metadata["k"]);
        using var get = await s3.GetObjectAsync(bucket, "a");
        Assert.Equal("payload", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        var self = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "a", DestinationBucket = bucket, DestinationKey = "a" }));
        Assert.Equal("InvalidRequest", self.ErrorCode);
    }

    [Fact]
    public async Task ListObjectsV2_WithDelimiterAndSmallPages_WalksEverythingOnce()
    {
        var (s3, bucket) = await NewBucketAsync();
        var keys = new[] { "a/1", "a/2", "b", "c/x/1", "c/y", "d" };
        foreach (var k in keys)
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = k, ContentBody = k });
        }
        var seenKeys = new List<string>();
        var seenPrefixes = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "/", MaxKeys = 2, ContinuationToken = token });
            seenKeys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            seenPrefixes.AddRange(page.CommonPrefixes ?? []);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        Assert.Equal(["b", "d"], seenKeys);
        Assert.Equal(["a/", "c/"], seenPrefixes);

        var under = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "c/", Delimiter = "/" });
        Assert.Equal(["c/y"], under.S3Objects.Select(o => o.Key));
        Assert.Equal(["c/x/"], under.CommonPrefixes);
        var v1 = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Marker = "b" });
        Assert.Equal(["c/x/1", "c/y", "d"], v1.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task DeleteObjects_VerboseAndQuiet_ReportAsAsked()
    {
        var (s3, bucket) = await NewBucketAsync();
        foreach (var k in new[] { "x1", "x2", "x3" })
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = k, ContentBody = k });
        }
        var verbose = await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = "x1" }, new KeyVersion { Key = "missing" }] });
        Assert.Equal(2, verbose.DeletedObjects.Count);
        var quiet = await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Quiet = true, Objects = [new KeyVersion { Key = "x2" }] });
        Assert.Empty(quiet.DeletedObjects ?? []);
        var left = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["x3"], left.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task ObjectTagging_PutGetDelete_RoundTrips()
    {
        var (s3, bucket) = await NewBucketAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "t", ContentBody = "t" });
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "t", Tagging = new Tagging { TagSet = [new Tag { Key = "env", Value = "prod" }] } });
        var tags = await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "t" });
        Assert.Equal("prod", Assert.Single(tags.Tagging).Value);
        await s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = "t" });
        Assert.Empty((await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "t" })).Tagging ?? []);
        var tooMany = new Tagging { TagSet = Enumerable.Range(0, 11).Select(i => new Tag { Key = "k" + i, Value = "v" }).ToList() };
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "t", Tagging = tooMany }));
        Assert.Equal("InvalidTag", e.ErrorCode);
    }

    [Fact]
    public async Task Buckets_CreateListDeleteNotEmptyAndNaming_FollowS3Rules()
    {
        var tenant = await gateway.NewTenantAsync();
        var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var mine = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync(bucket));
        Assert.Equal("BucketAlreadyOwnedByYou", mine.ErrorCode);
        Assert.Contains((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == bucket);
        Assert.Equal(string.Empty, (await s3.GetBucketLocationAsync(bucket)).Location.Value ?? string.Empty);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "k" });
        var notEmpty = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteBucketAsync(bucket));
        Assert.Equal("BucketNotEmpty", notEmpty.ErrorCode);
        await s3.DeleteObjectAsync(bucket, "k");
        await s3.DeleteBucketAsync(bucket);
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        Assert.Equal("NoSuchBucket", gone.ErrorCode);
        var badName = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync("Bad_Name"));
        Assert.Equal("InvalidBucketName", badName.ErrorCode);
    }

    [Fact]
    public async Task GetObject_MissingKey_IsNoSuchKeyWithRequestId()
    {
        var (s3, bucket) = await NewBucketAsync();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "nope"));
        Assert.Equal("NoSuchKey", e.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.False(string.IsNullOrEmpty(e.RequestId));
    }

    [Fact]
    public async Task UnbuiltOperation_AnswersNotImplemented()
    {
        var (s3, bucket) = await NewBucketAsync();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket }));
        Assert.Equal("NotImplemented", e.ErrorCode);
        Assert.Equal(HttpStatusCode.NotImplemented, e.StatusCode);
    }

    [Fact]
    public async Task VirtualHostStyle_SdkAddressingBucketAsHost_Works()
    {
        var tenant = await gateway.NewTenantAsync();
        var bucket = GatewayFixture.NewBucketName();
        // bucket.s3.localhost: the SDK puts the bucket in the host name; the certificate covers *.s3.localhost.
        using var vhost = gateway.S3Client(tenant, pathStyle: false);
        await vhost.PutBucketAsync(bucket);
        await vhost.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "vh/x", ContentBody = "virtual" });
        using var get = await vhost.GetObjectAsync(bucket, "vh/x");
        Assert.Equal("virtual", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        using var path = gateway.S3Client(tenant);
        Assert.Equal(["vh/x"], (await path.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key));
    }
}
