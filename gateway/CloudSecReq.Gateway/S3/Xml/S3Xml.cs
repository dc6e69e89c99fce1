using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace CloudSecReq.Gateway.S3.Xml;

/// <summary>
/// Writing S3 XML responses and reading S3 XML request bodies safely: no DTDs, no entities, bounded
/// size, nesting depth and element count (a deeply nested body must cost no more than a flat one).
/// </summary>
internal static class S3Xml
{
    public const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    public const int MaxRequestBytes = 2 * 1024 * 1024;

    /// <summary>
    /// The deepest S3 request document (PutBucketEncryption, CompleteMultipartUpload, Tagging) nests
    /// four elements; anything deeper than this is refused before it is built into a tree.
    /// </summary>
    public const int MaxDepth = 16;

    /// <summary>CompleteMultipartUpload's 10,000 parts of up to 7 elements each, with room to spare.</summary>
    public const int MaxElements = 100_000;

    private static readonly XmlWriterSettings s_writerSettings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = false,
        OmitXmlDeclaration = false,
        // Object keys may hold any Unicode character, XML 1.0 only some: characters it cannot carry
        // (U+0001 ...) are written as character references (&#x1;), as AWS does, instead of failing
        // the response; a carriage return likewise, so that a reader does not normalise it into a line feed.
        // Clients that cannot read them ask for encoding-type=url (aws cli and boto3 do by default).
        CheckCharacters = false,
        NewLineHandling = NewLineHandling.Entitize,
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

    /// <summary>
    /// Parses a request body; anything that is not well-formed XML, nests deeper than
    /// <see cref="MaxDepth"/> or holds more than <see cref="MaxElements"/> elements is MalformedXML.
    /// The limits are checked in one streaming pass before any tree is built.
    /// </summary>
    public static XElement Parse(byte[] body)
    {
        try
        {
            CheckShape(body);
            using var reader = XmlReader.Create(new MemoryStream(body), s_readerSettings);
            return XDocument.Load(reader).Root ?? throw new S3Exception(S3ErrorCode.MalformedXML);
        }
        catch (XmlException)
        {
            throw new S3Exception(S3ErrorCode.MalformedXML);
        }
    }

    private static void CheckShape(byte[] body)
    {
        using var reader = XmlReader.Create(new MemoryStream(body), s_readerSettings);
        var elements = 0;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }
            if (reader.Depth >= MaxDepth)
            {
                throw new S3Exception(S3ErrorCode.MalformedXML, $"The XML you provided nests deeper than {MaxDepth} elements.");
            }
            if (++elements > MaxElements)
            {
                throw new S3Exception(S3ErrorCode.MalformedXML, $"The XML you provided has more than {MaxElements} elements.");
            }
        }
    }

    /// <summary>Child elements by local name, whatever their namespace (clients differ in sending it).</summary>
    public static IEnumerable<XElement> Children(this XElement e, string localName) => e.Elements().Where(x => x.Name.LocalName == localName);

    public static string? ChildValue(this XElement e, string localName) => e.Children(localName).FirstOrDefault()?.Value;
}
