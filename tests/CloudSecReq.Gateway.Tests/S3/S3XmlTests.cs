using System.Text;
using CloudSecReq.Gateway.S3;
using CloudSecReq.Gateway.S3.Xml;

namespace CloudSecReq.Gateway.Tests.S3;

public sealed class S3XmlTests
{
    [Fact]
    public void Parse_DocumentWithDtdEntity_IsMalformedXml()
    {
        var evil = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Delete><Object><Key>&x;</Key></Object></Delete>";
        var e = Assert.Throws<S3Exception>(() => S3Xml.Parse(Encoding.UTF8.GetBytes(evil)));
        Assert.Equal(S3ErrorCode.MalformedXML, e.Code);
    }

    [Fact]
    public void Parse_NotXml_IsMalformedXml() =>
        Assert.Equal(S3ErrorCode.MalformedXML, Assert.Throws<S3Exception>(() => S3Xml.Parse("not <xml"u8.ToArray())).Code);

    [Fact]
    public void Parse_WithOrWithoutNamespace_FindsChildren()
    {
        var a = S3Xml.Parse("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet></Delete>"u8.ToArray());
        var b = S3Xml.Parse("<Delete><Quiet>true</Quiet></Delete>"u8.ToArray());
        Assert.Equal("true", a.ChildValue("Quiet"));
        Assert.Equal("true", b.ChildValue("Quiet"));
    }

    [Fact]
    public void Serialize_ListBucketResult_IsInS3Namespace()
    {
        var xml = Encoding.UTF8.GetString(S3Xml.Serialize("ListBucketResult", w => w.WriteElementString("Name", "b&<")));
        Assert.Contains("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b&amp;&lt;</Name></ListBucketResult>", xml);
    }

    [Fact]
    public void UrlEncode_KeyWithSpaceAndPlus_EncodesAsS3Does() =>
        Assert.Equal("a+b%2Bc/%C3%BC", CloudSecReq.Gateway.S3.Handlers.ListHandlers.UrlEncode("a b+c/ü"));
}
