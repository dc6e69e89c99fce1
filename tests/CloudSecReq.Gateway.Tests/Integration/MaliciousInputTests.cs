using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Inputs an attacker or an unusual client sends (issue 11): deeply nested XML, keys and metadata
/// with characters XML or HTTP cannot carry as they are, keys that are not UTF-8. Each once made the
/// gateway answer 500, crash or alias two keys; now each gets the answer AWS gives.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class MaliciousInputTests(GatewayFixture gateway)
{
    public static TheoryData<string, int> NestedBodies()
    {
        var data = new TheoryData<string, int>();
        foreach (var operation in new[] { "DeleteObjects", "CompleteMultipartUpload", "PutObjectTagging", "PutBucketEncryption", "CreateBucket" })
        {
            // 290,000 levels is the deepest well-formed body under the 2 MiB limit ("<a>" + "</a>" per level).
            foreach (var depth in new[] { 1_000, 100_000, 290_000 })
            {
                data.Add(operation, depth);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(NestedBodies))]
    public async Task XmlBody_NestedDeep_IsRefusedWith400(string operation, int depth)
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        using var http = new SignedRequests(gateway, tenant);
        var nest = new StringBuilder(depth * 7).Insert(0, "<a>", depth).Insert(depth * 3, "</a>", depth).ToString();
        var (method, path, query, body) = operation switch
        {
            "DeleteObjects" => ("POST", $"/{bucket}", "delete=", $"<Delete><Object><Key>{nest}</Key></Object></Delete>"),
            "CompleteMultipartUpload" => ("POST", $"/{bucket}/mp", "uploadId=" + (await s3.InitiateMultipartUploadAsync(bucket, "mp")).UploadId,
                $"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{nest}</ETag></Part></CompleteMultipartUpload>"),
            "PutObjectTagging" => ("PUT", $"/{bucket}/t", "tagging=", $"<Tagging><TagSet><Tag><Key>k</Key><Value>{nest}</Value></Tag></TagSet></Tagging>"),
            "PutBucketEncryption" => ("PUT", $"/{bucket}", "encryption=", $"<ServerSideEncryptionConfiguration><Rule>{nest}</Rule></ServerSideEncryptionConfiguration>"),
            _ => ("PUT", "/" + GatewayFixture.NewBucketName(), "", $"<CreateBucketConfiguration><LocationConstraint>{nest}</LocationConstraint></CreateBucketConfiguration>"),
        };
        if (operation == "PutObjectTagging")
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "t", ContentBody = "t" });
        }
        var bytes = Encoding.UTF8.GetBytes(body);
        var reply = await http.SendAsync(method, path, query, bytes, [new("Content-MD5", Convert.ToBase64String(MD5.HashData(bytes)))]);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        // Bodies over the operation's own limit (64 KiB for tagging, encryption, bucket configuration) are refused for their size.
        Assert.Equal(bytes.Length <= 64 * 1024 || operation is "DeleteObjects" or "CompleteMultipartUpload" ? "MalformedXML" : "MaxMessageLengthExceeded", reply.ErrorCode);
        // The gateway is alive and the bucket unchanged.
        Assert.Equal(HttpStatusCode.OK, (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).HttpStatusCode);
    }

    [Fact]
    public async Task XmlBody_300000UnclosedElements_IsMalformedXml()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        using var http = new SignedRequests(gateway, tenant);
        var bytes = Encoding.UTF8.GetBytes("<Delete><Object><Key>" + new StringBuilder().Insert(0, "<a>", 300_000));
        var reply = await http.SendAsync("POST", $"/{bucket}", "delete=", bytes, [new("Content-MD5", Convert.ToBase64String(MD5.HashData(bytes)))]);
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("MalformedXML", reply.ErrorCode);
    }

    [Fact]
    public async Task XmlBody_MoreThanMaxElements_IsMalformedXml()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        using var http = new SignedRequests(gateway, tenant);
        var bytes = Encoding.UTF8.GetBytes("<Delete>" + new StringBuilder().Insert(0, "<Quiet/>", 150_000) + "</Delete>");
        var reply = await http.SendAsync("POST", $"/{bucket}", "delete=", bytes, [new("Content-MD5", Convert.ToBase64String(MD5.HashData(bytes)))]);
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("MalformedXML", reply.ErrorCode);
    }

    [Fact]
    public async Task Listings_KeyWithControlCharacters_AnswerWithCharacterReferences()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        using var http = new SignedRequests(gateway, tenant);
        string[] keys = ["a\u0001b", "c\rd", "plain"];
        foreach (var key in keys)
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "x" });
        }
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "e\u0002f");

        foreach (var query in new[] { "", "list-type=2", "versions=", "uploads=" })
        {
            var reply = await http.SendAsync("GET", $"/{bucket}", query);
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            Assert.Contains(query == "uploads=" ? "&#x2;" : "&#x1;", reply.Body);
            var listed = reply.Xml().Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value).ToList();
            Assert.Equal(query == "uploads=" ? ["e\u0002f"] : keys.Order(StringComparer.Ordinal), listed);
        }
        // With encoding-type=url (aws cli's and boto3's default) the keys come back percent-encoded, exactly.
        var v2 = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Encoding = EncodingType.Url });
        Assert.Equal(["a%01b", "c%0Dd", "plain"], v2.S3Objects.Select(o => o.Key));
        // An error document that echoes such a key.
        var missing = await http.SendAsync("GET", $"/{bucket}/missing%01key");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("missing\u0001key", missing.Xml().Element("Key")?.Value);
        await s3.AbortMultipartUploadAsync(bucket, "e\u0002f", upload.UploadId);
    }

    [Fact]
    public async Task UserMetadata_NonAscii_IsReturnedRfc2047Encoded()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        using var http = new SignedRequests(gateway, tenant);
        var put = await http.SendAsync("PUT", $"/{bucket}/m", body: "x"u8.ToArray(),
            signedHeaders: [new("x-amz-meta-city", "Zürich ☃"), new("x-amz-meta-plain", "ascii only"), new("Content-Disposition", "attachment; filename=\"ü.txt\"")]);
        Assert.Equal(HttpStatusCode.OK, put.Status);

        foreach (var method in new[] { "HEAD", "GET" })
        {
            var reply = await http.SendAsync(method, $"/{bucket}/m");
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            Assert.Equal("Zürich ☃", DecodeRfc2047(reply.Header("x-amz-meta-city")!));
            Assert.StartsWith("=?UTF-8?B?", reply.Header("x-amz-meta-city"));
            Assert.Equal("ascii only", reply.Header("x-amz-meta-plain"));
            Assert.Equal("attachment; filename=\"ü.txt\"", DecodeRfc2047(reply.Header("Content-Disposition")!));
        }
        // A copy carries the metadata and stays readable.
        await s3.CopyObjectAsync(bucket, "m", bucket, "copy");
        var head = await s3.GetObjectMetadataAsync(bucket, "copy");
        Assert.Equal("Zürich ☃", DecodeRfc2047(head.Metadata["city"]));
    }

    [Theory]
    [InlineData("%0D%0AX-Injected:%20yes")]
    [InlineData("a%00b")]
    [InlineData("a%0Ab")]
    public async Task GetObject_ResponseOverrideWithControlCharacters_IsInvalidArgument(string value)
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        using var http = new SignedRequests(gateway, tenant);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "o", ContentBody = "x" });
        var reply = await http.SendAsync("GET", $"/{bucket}/o", "response-content-type=" + value);
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("InvalidArgument", reply.ErrorCode);
        Assert.Null(reply.Header("X-Injected"));

        var utf8 = await http.SendAsync("GET", $"/{bucket}/o", "response-content-disposition=" + Uri.EscapeDataString("inline; filename=\"é\""));
        Assert.Equal(HttpStatusCode.OK, utf8.Status);
        Assert.Equal("inline; filename=\"é\"", DecodeRfc2047(utf8.Header("Content-Disposition")!));
    }

    [Fact]
    public async Task ObjectKeys_NotValidUtf8_AreRefusedAndNeverAliased()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        using var http = new SignedRequests(gateway, tenant);
        var replacement = await http.SendAsync("PUT", $"/{bucket}/%EF%BF%BD", body: "the U+FFFD object"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, replacement.Status);

        foreach (var key in new[] { "%FE", "%FF", "a%C3", "%ED%A0%80" })
        {
            var put = await http.SendAsync("PUT", $"/{bucket}/{key}", body: "x"u8.ToArray());
            Assert.Equal(HttpStatusCode.BadRequest, put.Status);
            Assert.Equal("InvalidURI", put.ErrorCode);
            var get = await http.SendAsync("GET", $"/{bucket}/{key}");
            Assert.Equal(HttpStatusCode.BadRequest, get.Status);
        }
        foreach (var query in new[] { "prefix=%FF", "list-type=2&start-after=%FE", "marker=%C3" })
        {
            var list = await http.SendAsync("GET", $"/{bucket}", query);
            Assert.Equal(HttpStatusCode.BadRequest, list.Status);
            Assert.Equal("InvalidArgument", list.ErrorCode);
        }
        var copy = await http.SendAsync("PUT", $"/{bucket}/copy", signedHeaders: [new("x-amz-copy-source", $"/{bucket}/%FF")]);
        Assert.Equal(HttpStatusCode.BadRequest, copy.Status);
        Assert.Equal("InvalidArgument", copy.ErrorCode);

        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["\uFFFD"], listed.S3Objects.Select(o => o.Key));
        Assert.Equal("the U+FFFD object", await TextAsync(s3, bucket, "\uFFFD"));
    }

    [Fact]
    public async Task PresignedPut_WithUnsignedCopySourceOrSseCHeaders_IsAccessDenied()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "secret", ContentBody = "only the owner may copy this" });
        var url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = "upload", Verb = HttpVerb.PUT, Expires = TimeProvider.System.GetUtcNow().UtcDateTime.AddMinutes(5), Protocol = Protocol.HTTPS,
        });
        using var http = gateway.HttpClient();
        var customerKey = RandomNumberGenerator.GetBytes(32);
        var attacks = new (string Name, string Value)[][]
        {
            [("x-amz-copy-source", $"/{bucket}/secret")],
            [("x-amz-server-side-encryption-customer-algorithm", "AES256"),
             ("x-amz-server-side-encryption-customer-key", Convert.ToBase64String(customerKey)),
             ("x-amz-server-side-encryption-customer-key-MD5", Convert.ToBase64String(MD5.HashData(customerKey)))],
            [("x-amz-meta-extra", "not signed")],
        };
        foreach (var headers in attacks)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent("attacker"u8.ToArray()) };
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("<Code>AccessDenied</Code>", body);
            Assert.Contains("<HeadersNotSigned>", body);
        }
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["secret"], listed.S3Objects.Select(o => o.Key));

        // The URL itself still works as meant.
        using (var plain = await http.PutAsync(url, new ByteArrayContent("meant"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }
        Assert.Equal("meant", await TextAsync(s3, bucket, "upload"));
    }

    [Fact]
    public async Task HeaderSignedRequest_WithUnsignedAmzHeader_IsAccessDenied()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        using var http = new SignedRequests(gateway, tenant);
        var reply = await http.SendAsync("PUT", $"/{bucket}/k", body: "x"u8.ToArray(), unsignedHeaders: [new("x-amz-storage-class", "REDUCED_REDUNDANCY")]);
        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
        Assert.Equal("AccessDenied", reply.ErrorCode);
        Assert.Equal("x-amz-storage-class", reply.Xml().Element("HeadersNotSigned")?.Value);
        var signed = await http.SendAsync("PUT", $"/{bucket}/k", body: "x"u8.ToArray(), signedHeaders: [new("x-amz-storage-class", "REDUCED_REDUNDANCY")]);
        Assert.Equal(HttpStatusCode.OK, signed.Status);
    }

    [Fact]
    public async Task ObjectLock_OnBucketOrObject_IsNotImplementedAndStoresNothing()
    {
        var (_, bucket, s3) = await NewBucketAsync();
        using var __ = s3;
        var lockedBucket = GatewayFixture.NewBucketName();
        var create = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutBucketAsync(new PutBucketRequest { BucketName = lockedBucket, ObjectLockEnabledForBucket = true }));
        Assert.Equal("NotImplemented", create.ErrorCode);
        Assert.DoesNotContain((await s3.ListBucketsAsync()).Buckets ?? [], b => b.BucketName == lockedBucket);

        var retention = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "locked", ContentBody = "x",
            ObjectLockMode = ObjectLockMode.Compliance, ObjectLockRetainUntilDate = TimeProvider.System.GetUtcNow().UtcDateTime.AddDays(1),
        }));
        Assert.Equal("NotImplemented", retention.ErrorCode);
        var legalHold = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "held", ContentBody = "x", ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On,
        }));
        Assert.Equal("NotImplemented", legalHold.ErrorCode);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
    }

    [Fact]
    public async Task Acls_OtherThanPrivateOrOwnerFullControl_AreAccessControlListNotSupported()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        var publicRead = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p", ContentBody = "x", CannedACL = S3CannedACL.PublicRead }));
        Assert.Equal("AccessControlListNotSupported", publicRead.ErrorCode);
        var bucketAcl = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutBucketAsync(new PutBucketRequest { BucketName = GatewayFixture.NewBucketName(), CannedACL = S3CannedACL.PublicRead }));
        Assert.Equal("InvalidBucketAclWithObjectOwnership", bucketAcl.ErrorCode);
        using var http = new SignedRequests(gateway, tenant);
        var grant = await http.SendAsync("PUT", $"/{bucket}/g", body: "x"u8.ToArray(), signedHeaders: [new("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"")]);
        Assert.Equal("AccessControlListNotSupported", grant.ErrorCode);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "owner", ContentBody = "x", CannedACL = S3CannedACL.BucketOwnerFullControl });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private", ContentBody = "x", CannedACL = S3CannedACL.Private });
        Assert.Equal(2, (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Count);
    }

    [Fact]
    public async Task ExpectedBucketOwner_OtherAccount_IsAccessDenied()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        var account = (await gateway.Host.Data.Store.FindTenantByNameAsync(tenant.TenantName, default))!.AccountId;
        var wrong = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ExpectedBucketOwner = "111122223333" }));
        Assert.Equal("AccessDenied", wrong.ErrorCode);
        var right = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ExpectedBucketOwner = account });
        Assert.Equal(HttpStatusCode.OK, right.HttpStatusCode);
    }

    [Fact]
    public async Task PutObject_IfMatch_WritesOnlyOverTheMatchingObject()
    {
        var (tenant, bucket, s3) = await NewBucketAsync();
        using var _ = s3;
        var first = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "first" });

        var stale = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "lost update", IfMatch = "\"00000000000000000000000000000000\"" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("first", await TextAsync(s3, bucket, "k"));

        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "absent", ContentBody = "x", IfMatch = first.ETag }));
        Assert.Equal("NoSuchKey", missing.ErrorCode);

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "second", IfMatch = first.ETag });
        Assert.Equal("second", await TextAsync(s3, bucket, "k"));

        var exists = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfNoneMatch = "*" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, exists.StatusCode);
        using var http = new SignedRequests(gateway, tenant);
        var etagNoneMatch = await http.SendAsync("PUT", $"/{bucket}/k", body: "x"u8.ToArray(), signedHeaders: [new("If-None-Match", first.ETag)]);
        Assert.Equal("NotImplemented", etagNoneMatch.ErrorCode);
        Assert.Equal("second", await TextAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task CompleteMultipartUpload_IfNoneMatchOverExistingObject_FailsAndKeepsTheUpload()
    {
        var (_, bucket, s3) = await NewBucketAsync();
        using var __ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "existing" });
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "k");
        var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "k", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream("new"u8.ToArray()) });
        var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = "k", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)], IfNoneMatch = "*" };
        var failed = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(complete));
        Assert.Equal(HttpStatusCode.PreconditionFailed, failed.StatusCode);
        Assert.Equal("existing", await TextAsync(s3, bucket, "k"));

        complete.IfNoneMatch = null;
        await s3.CompleteMultipartUploadAsync(complete);
        Assert.Equal("new", await TextAsync(s3, bucket, "k"));
    }

    private async Task<(Tenants.NewCredentials Tenant, string Bucket, AmazonS3Client S3)> NewBucketAsync()
    {
        var tenant = await gateway.NewTenantAsync("evil");
        var bucket = GatewayFixture.NewBucketName();
        var s3 = gateway.S3Client(tenant);
        await s3.PutBucketAsync(bucket);
        return (tenant, bucket, s3);
    }

    private static async Task<string> TextAsync(AmazonS3Client s3, string bucket, string key) => Encoding.UTF8.GetString(await ObjectBytes.GetAsync(s3, bucket, key));

    /// <summary>Decodes a value of RFC 2047 B-encoded words separated by spaces (what the gateway sends for non-ASCII text).</summary>
    private static string DecodeRfc2047(string value)
    {
        Assert.StartsWith("=?UTF-8?B?", value);
        return Encoding.UTF8.GetString(value.Split(' ').SelectMany(word =>
        {
            Assert.EndsWith("?=", word);
            return Convert.FromBase64String(word["=?UTF-8?B?".Length..^2]);
        }).ToArray());
    }
}
