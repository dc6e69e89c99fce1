namespace CloudSecReq.Gateway.S3;

/// <summary>The S3 operations, named as AWS names them. <see cref="Unsupported"/> answers NotImplemented.</summary>
internal enum S3Operation
{
    Unsupported,
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketVersioning,
    PutBucketEncryption,
    GetBucketEncryption,
    DeleteBucketEncryption,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    ListMultipartUploads,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    PutObjectTagging,
    GetObjectTagging,
    DeleteObjectTagging,
    /// <summary>CloudSecReq extension: GET /bucket/key?locate (and /bucket?locate), where the data is stored.</summary>
    GetObjectLocation,
    GetBucketDataLocation,
}
