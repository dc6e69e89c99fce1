using System.Text;
using CloudSecReq.Gateway.S3.Xml;

namespace CloudSecReq.Gateway.S3;

/// <summary>The one place S3 errors become responses: S3 XML with code, message, resource and request id.</summary>
internal static class S3ErrorWriter
{
    public static async Task WriteAsync(HttpContext context, S3Exception error, string requestId)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        if (error.Code == S3ErrorCode.InvalidRange && error.Details.TryGetValue("ActualObjectSize", out var size))
        {
            response.Headers.ContentRange = $"bytes */{size}";
        }
        if (context.Request.Method == "HEAD" || error.Status == 304)
        {
            // HEAD responses and 304 carry no body; the code travels in a header for debugging.
            response.Headers["x-amz-error-code"] = error.CodeName;
            return;
        }
        var bytes = S3Xml.Serialize("Error", w =>
        {
            w.WriteElementString("Code", error.CodeName);
            w.WriteElementString("Message", XmlText(error.Message));
            foreach (var (name, value) in error.Details)
            {
                w.WriteElementString(name, XmlText(value));
            }
            w.WriteElementString("Resource", XmlText(context.Request.Path.Value ?? "/"));
            w.WriteElementString("RequestId", requestId);
        }, ns: null);
        response.ContentType = "application/xml";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes);
    }

    /// <summary>
    /// An expected outcome that S3 answers with an error status and no body (304 Not Modified, a
    /// HEAD's 404), written by the handler as <see cref="WriteAsync"/> writes the same code for a HEAD.
    /// </summary>
    public static void WriteWithoutBody(HttpContext context, S3ErrorCode code)
    {
        if (ClientBodyStream.LeftUnread(context.Request))
        {
            // As for an error (S3Dispatcher): a body left unread must not be taken for the next request.
            context.Response.Headers.Connection = "close";
        }
        context.Response.StatusCode = S3ErrorTable.Get(code).Status;
        context.Response.Headers["x-amz-error-code"] = code.ToString();
    }

    /// <summary>
    /// The text with lone surrogates replaced by U+FFFD: no XML writer can encode them. (Other
    /// characters XML 1.0 cannot carry are written as character references, see S3Xml.) Found by the
    /// wire fuzzer (issue 11): a request path with such a character made the writer throw while writing
    /// the error, and the client got a bare 500.
    /// </summary>
    private static string XmlText(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            return text;
        }
        var safe = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                safe.Append(c).Append(text[++i]);
            }
            else
            {
                safe.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return safe.ToString();
    }
}
