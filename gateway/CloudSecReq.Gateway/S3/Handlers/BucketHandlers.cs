using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3.Xml;

namespace CloudSecReq.Gateway.S3.Handlers;

/// <summary>ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning.</summary>
internal sealed class BucketHandlers(Buckets buckets)
{
    public async Task ListBucketsAsync(S3Request req)
    {
        var allowed = await buckets.ListAsync(req.Principal, req.Aborted);
        await S3Xml.WriteAsync(req.Response, "ListAllMyBucketsResult", w =>
        {
            WriteOwner(w, req.Principal.Tenant);
            w.WriteStartElement("Buckets");
            foreach (var b in allowed)
            {
                w.WriteStartElement("Bucket");
                w.WriteElementString("Name", b.Name);
                w.WriteElementString("CreationDate", S3Xml.Time(b.CreatedAt));
                w.WriteElementString("BucketRegion", b.Region);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        });
    }

    internal static void WriteOwner(System.Xml.XmlWriter w, Tenant tenant)
    {
        w.WriteStartElement("Owner");
        w.WriteElementString("ID", tenant.Id);
        w.WriteElementString("DisplayName", tenant.Name);
        w.WriteEndElement();
    }

    public async Task CreateBucketAsync(S3Request req)
    {
        var ct = req.Aborted;
        var name = req.BucketName;
        if (BucketNaming.Problem(name) is { } problem)
        {
            throw new S3Exception(S3ErrorCode.InvalidBucketName, problem).With("BucketName", name);
        }
        S3Authorizer.AuthorizeCreate(req.Principal, name);
        var body = await BodyIngest.ReadSmallAsync(req, 64 * 1024, ct);
        if (body.Length > 0)
        {
            var doc = S3Xml.Parse(body);
            var constraint = doc.ChildValue("LocationConstraint");
            if (!string.IsNullOrEmpty(constraint) && constraint != buckets.Region)
            {
                throw new S3Exception(S3ErrorCode.InvalidLocationConstraint,
                    $"The {constraint} location constraint is incompatible for the region specific endpoint this request was sent to.");
            }
        }
        var result = await buckets.CreateAsync(req.Principal, name, ct);
        switch (result)
        {
            case BucketCreateResult.AlreadyOwnedByYou:
                throw new S3Exception(S3ErrorCode.BucketAlreadyOwnedByYou).With("BucketName", name);
            case BucketCreateResult.AlreadyExists:
                throw new S3Exception(S3ErrorCode.BucketAlreadyExists).With("BucketName", name);
        }
        req.Response.Headers.Location = "/" + name;
        req.Response.StatusCode = 200;
    }

    public static Task HeadBucketAsync(S3Request req)
    {
        req.Response.Headers["x-amz-bucket-region"] = req.Bucket!.Region;
        req.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    public async Task DeleteBucketAsync(S3Request req)
    {
        if (!await buckets.DeleteAsync(req.BucketName, req.Aborted))
        {
            throw new S3Exception(S3ErrorCode.BucketNotEmpty).With("BucketName", req.BucketName);
        }
        req.Response.StatusCode = 204;
    }

    public static Task GetBucketLocationAsync(S3Request req)
    {
        // AWS answers an empty LocationConstraint for us-east-1.
        var region = req.Bucket!.Region == "us-east-1" ? "" : req.Bucket.Region;
        return S3Xml.WriteAsync(req.Response, "LocationConstraint", w => w.WriteString(region));
    }

    public static Task GetBucketVersioningAsync(S3Request req) =>
        // Versioning is not offered yet: every bucket is unversioned (an empty configuration).
        S3Xml.WriteAsync(req.Response, "VersioningConfiguration", _ => { });

    public async Task PutBucketEncryptionAsync(S3Request req)
    {
        var doc = S3Xml.Parse(await BodyIngest.ReadSmallAsync(req, 64 * 1024, req.Aborted));
        var rule = doc.Name.LocalName == "ServerSideEncryptionConfiguration" ? doc.Children("Rule").FirstOrDefault() : null;
        var apply = rule?.Children("ApplyServerSideEncryptionByDefault").FirstOrDefault();
        var algorithm = apply?.ChildValue("SSEAlgorithm");
        if (rule is null || apply is null || algorithm is null)
        {
            throw new S3Exception(S3ErrorCode.MalformedXML);
        }
        if (algorithm is not (ObjectEncryption.SseS3 or ObjectEncryption.SseKms))
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "The SSE algorithm must be AES256 or aws:kms.").With("ArgumentName", "SSEAlgorithm");
        }
        var keyId = apply.ChildValue("KMSMasterKeyID");
        if (keyId is not null && algorithm != ObjectEncryption.SseKms)
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms").With("ArgumentName", "ApplyServerSideEncryptionByDefault");
        }
        var bucketKey = string.Equals(rule.ChildValue("BucketKeyEnabled"), "true", StringComparison.OrdinalIgnoreCase);
        await buckets.SetEncryptionAsync(req.BucketName, new BucketEncryption(algorithm, keyId, bucketKey), req.Aborted);
        req.Response.StatusCode = 200;
    }

    public static Task GetBucketEncryptionAsync(S3Request req)
    {
        // Every bucket encrypts: without a configuration the default is SSE-S3, as AWS shows it.
        var e = req.Bucket!.Encryption ?? BucketEncryption.Default;
        return S3Xml.WriteAsync(req.Response, "ServerSideEncryptionConfiguration", w =>
        {
            w.WriteStartElement("Rule");
            w.WriteStartElement("ApplyServerSideEncryptionByDefault");
            w.WriteElementString("SSEAlgorithm", e.Algorithm);
            w.Element("KMSMasterKeyID", e.KmsKeyId);
            w.WriteEndElement();
            w.WriteElementString("BucketKeyEnabled", e.BucketKeyEnabled ? "true" : "false");
            w.WriteEndElement();
        });
    }

    public async Task DeleteBucketEncryptionAsync(S3Request req)
    {
        await buckets.SetEncryptionAsync(req.BucketName, null, req.Aborted);
        req.Response.StatusCode = 204;
    }
}
