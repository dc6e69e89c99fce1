using System.Text;
using System.Text.Json;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>The response headers S3 clients read about an object's encryption (PUT, GET, HEAD, copy, multipart).</summary>
internal static class SseHeaders
{
    public static void Write(HttpResponse response, ObjectEncryption? encryption, CustomerKey? customer = null)
    {
        if (encryption is null)
        {
            return;
        }
        var h = response.Headers;
        if (encryption.Mode == ObjectEncryption.SseC)
        {
            h["x-amz-server-side-encryption-customer-algorithm"] = "AES256";
            if (customer is not null)
            {
                h["x-amz-server-side-encryption-customer-key-MD5"] = customer.Md5Base64;
            }
            return;
        }
        h["x-amz-server-side-encryption"] = encryption.Mode;
        if (encryption.Mode == ObjectEncryption.SseKms)
        {
            h["x-amz-server-side-encryption-aws-kms-key-id"] = encryption.KeyArn;
            if (encryption.Context is { Count: > 0 } context)
            {
                h["x-amz-server-side-encryption-context"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(context)));
            }
            if (encryption.BucketKeyEnabled)
            {
                h["x-amz-server-side-encryption-bucket-key-enabled"] = "true";
            }
        }
    }
}
