namespace CloudSecReq.Gateway.Objects;

/// <summary>S3's size and count limits on objects and parts, as AWS sets them.</summary>
internal static class ObjectLimits
{
    public const long MaxSinglePutBytes = 5L * 1024 * 1024 * 1024;
    public const long MinPartBytes = 5L * 1024 * 1024;
    public const int MaxPartNumber = 10_000;
}
