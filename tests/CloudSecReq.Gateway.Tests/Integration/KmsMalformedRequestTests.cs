using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CloudSecReq.Gateway.Auth;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// KMS request bodies that no SDK sends, signed by hand (SigV4 service kms over the exact bytes): invalid UTF-8,
/// members of the wrong type, nesting beyond the parser's depth, numbers out of range. Each is a 400 with an AWS
/// error type, never a 500 (issue 11).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class KmsMalformedRequestTests(GatewayFixture gateway)
{
    private const string KeyId = "11111111-2222-3333-4444-555555555555";

    /// <summary>Operation, body ("&lt;FF&gt;" stands for the raw byte 0xFF), the AWS error type expected.</summary>
    public static TheoryData<string, string, string> Bodies => new()
    {
        { "CreateKey", """{"Description":"a<FF><FE>b"}""", "SerializationException" },
        { "CreateAlias", """{"AliasName":"alias/<FF><FE>","TargetKeyId":"x"}""", "SerializationException" },
        { "ListKeys", """{"<FF>":1}""", "SerializationException" },
        { "CreateKey", """{"Description":"<C0><AF> overlong"}""", "SerializationException" },
        { "CreateKey", """{"Description":"<ED><A0><80> encoded surrogate"}""", "SerializationException" },
        { "CreateKey", """{"Description":"\uD800 lone surrogate escape"}""", "SerializationException" },
        { "Encrypt", """{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"a":"\uDC00"}}""", "SerializationException" },
        { "Encrypt", """{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"a":{"b":"c"}}}""", "SerializationException" },
        { "Encrypt", """{"KeyId":"k","Plaintext":"not base64!"}""", "SerializationException" },
        { "TagResource", """{"KeyId":"k","Tags":[5]}""", "SerializationException" },
        { "TagResource", """{"KeyId":"k","Tags":[null]}""", "SerializationException" },
        { "TagResource", """{"KeyId":"k","Tags":{"TagKey":"a"}}""", "SerializationException" },
        { "UntagResource", """{"KeyId":"k","TagKeys":[1,2]}""", "SerializationException" },
        { "ImportKeyMaterial", """{"KeyId":"k","ValidTo":1e300,"ExpirationModel":"KEY_MATERIAL_EXPIRES"}""", "SerializationException" },
        { "ImportKeyMaterial", """{"KeyId":"k","ValidTo":-1e300,"ExpirationModel":"KEY_MATERIAL_EXPIRES"}""", "SerializationException" },
        { "GenerateRandom", """{"NumberOfBytes":1e400}""", "SerializationException" },
        { "GenerateRandom", """{"NumberOfBytes":"16"}""", "SerializationException" },
        { "ListKeys", """{"Limit":99999999999999999999999}""", "SerializationException" },
        { "CreateKey", """{"MultiRegion":"yes"}""", "SerializationException" },
        { "DescribeKey", """{"KeyId":5}""", "SerializationException" },
        { "DescribeKey", """{"KeyId":["a"]}""", "SerializationException" },
        { "DescribeKey", """{"KeyId":null}""", "ValidationException" },
        { "DescribeKey", "", "ValidationException" },
        { "DescribeKey", "null", "SerializationException" },
        { "DescribeKey", "[]", "SerializationException" },
        { "DescribeKey", "\"KeyId\"", "SerializationException" },
        { "DescribeKey", """{"KeyId":""", "SerializationException" },
        { "DescribeKey", """{"KeyId":"a"} trailing""", "SerializationException" },
        { "DescribeKey", """{"KeyId":""" + new string('[', 5000) + new string(']', 5000) + "}", "SerializationException" },
        { "CreateKey", """{"Tags":""" + string.Concat(Enumerable.Repeat("""[{"a":""", 200)) + "1" + string.Concat(Enumerable.Repeat("}]", 200)) + "}", "SerializationException" },
        { "PutKeyPolicy", """{"KeyId":"k","Policy":"{\"Statement\":[{\"Effect\":5}]}"}""", "MalformedPolicyDocumentException" },
        { "PutKeyPolicy", """{"KeyId":"{{KEY}}","Policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":5},\"Action\":\"kms:*\"}]}"}""", "MalformedPolicyDocumentException" },
        { "PutKeyPolicy", """{"KeyId":"{{KEY}}","Policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":[null]}]}"}""", "MalformedPolicyDocumentException" },
        { "PutKeyPolicy", """{"KeyId":"{{KEY}}","Policy":"{\"Statement\":[7]}"}""", "MalformedPolicyDocumentException" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task KmsRequest_MalformedBody_Is400WithAwsErrorType(string operation, string template, string expectedType)
    {
        var tenant = await gateway.NewTenantAsync();
        var keyId = KeyId;
        if (template.Contains("{{KEY}}", StringComparison.Ordinal))
        {
            using var kms = gateway.KmsClient(tenant);
            keyId = (await kms.CreateKeyAsync(new Amazon.KeyManagementService.Model.CreateKeyRequest())).KeyMetadata.KeyId;
        }
        var body = Bytes(template.Replace("{{KEY}}", keyId, StringComparison.Ordinal));

        var host = $"127.0.0.1:{gateway.Endpoint.Port}";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.Endpoint, "/")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-amz-json-1.1");
        foreach (var (name, value) in HandSigner.Sign("POST", host, "/", "", SigV4.Sha256Hex(body), tenant.AccessKeyId, tenant.SecretAccessKey,
            TimeProvider.System.GetUtcNow(), [new("x-amz-target", "TrentService." + operation)], service: "kms"))
        {
            if (name != "host")
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var http = gateway.HttpClient();
        using var response = await http.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{operation}: {(int)response.StatusCode} {text}");
        using var error = JsonDocument.Parse(text);
        Assert.Equal(expectedType, error.RootElement.GetProperty("__type").GetString());
    }

    /// <summary>The template as UTF-8, with each "&lt;XX&gt;" replaced by the raw byte 0xXX.</summary>
    private static byte[] Bytes(string template)
    {
        var bytes = new List<byte>();
        var at = 0;
        foreach (Match m in RawByte().Matches(template))
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(template[at..m.Index]));
            bytes.Add(Convert.ToByte(m.Groups[1].Value, 16));
            at = m.Index + m.Length;
        }
        bytes.AddRange(Encoding.UTF8.GetBytes(template[at..]));
        return [.. bytes];
    }

    [GeneratedRegex("<([0-9A-F]{2})>")]
    private static partial Regex RawByte();
}
