using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Gateway.Tests.Integration;

internal static class ObjectBytes
{
    /// <summary>GETs an object (or a range of it) and returns its bytes.</summary>
    public static async Task<byte[]> GetAsync(IAmazonS3 s3, string bucket, string key, ByteRange? range = null)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = range });
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        return bytes.ToArray();
    }
}
