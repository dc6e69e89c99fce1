namespace CloudSecReq.Gateway.S3;

/// <summary>What each operation needs: whether it writes (read-only users are refused) and whether it names a bucket.</summary>
internal static class S3OperationInfo
{
    public static bool IsWrite(S3Operation op) => op is S3Operation.CreateBucket or S3Operation.DeleteBucket or S3Operation.DeleteObjects
        or S3Operation.PutObject or S3Operation.CopyObject or S3Operation.DeleteObject or S3Operation.CreateMultipartUpload
        or S3Operation.UploadPart or S3Operation.UploadPartCopy or S3Operation.CompleteMultipartUpload or S3Operation.AbortMultipartUpload
        or S3Operation.PutObjectTagging or S3Operation.DeleteObjectTagging
        or S3Operation.PutBucketEncryption or S3Operation.DeleteBucketEncryption;

    private static readonly Dictionary<S3Operation, string> s_names = Enum.GetValues<S3Operation>().ToDictionary(op => op, op => op.ToString());

    /// <summary>The operation's AWS name, from a table built once (a metric label on every request).</summary>
    public static string Name(S3Operation op) => s_names[op];
}
