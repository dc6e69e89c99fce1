using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace CloudSecReq.Gateway.S3.Xml;

/// <summary>Writing S3 XML responses and reading S3 XML request bodies safely (no DTDs, no entities, bounded size).</summary>
internal static class S3Xml
{
    public const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    public const int MaxRequestBytes = 2 * 1024 * 1024;

    private static readonly XmlWriterSettings s_writerSettings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        OmitXmlDeclaration = false,
    };

    private static readonly XmlReaderSettings s_readerSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxRequestBytes,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>Writes a document with root element <paramref name="root"/> in the S3 namespace.</summary>
    public static async Task WriteAsync(HttpResponse response, string root, Action<XmlWriter> body, int status = 200)
    {
        var bytes = Serialize(root, body);
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes);
    }

    public static byte[] Serialize(string root, Action<XmlWriter> body, string? ns = Namespace)
    {
        using var ms = new MemoryStream();
        using (var w = XmlWriter.Create(ms, s_writerSettings))
        {
            w.WriteStartDocument();
            w.WriteStartElement(root, ns);
            body(w);
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        return ms.ToArray();
    }

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static void Element(this XmlWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteElementString(name, value);
        }
    }

    /// <summary>Parses a request body; anything that is not well-formed XML is MalformedXML.</summary>
    public static XElement Parse(byte[] body)
    {
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body), s_readerSettings);
            return XDocument.Load(reader).Root ?? throw new S3Exception(S3ErrorCode.MalformedXML);
        }
        catch (XmlException)
        {
            throw new S3Exception(S3ErrorCode.MalformedXML);
        }
    }

    /// <summary>Child elements by local name, whatever their namespace (clients differ in sending it).</summary>
    public static IEnumerable<XElement> Children(this XElement e, string localName) => e.Elements().Where(x => x.Name.LocalName == localName);

    public static string? ChildValue(this XElement e, string localName) => e.Children(localName).FirstOrDefault()?.Value;
}
