using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3.Xml;

namespace CloudSecReq.Gateway.S3.Handlers;

/// <summary>PutObjectTagging, GetObjectTagging, DeleteObjectTagging.</summary>
internal sealed class TaggingHandlers(ObjectTagger tagger)
{
    public async Task PutObjectTaggingAsync(S3Request req)
    {
        var doc = S3Xml.Parse(await BodyIngest.ReadSmallAsync(req, 64 * 1024, req.Aborted));
        var tagSet = (doc.Name.LocalName == "Tagging" ? doc.Children("TagSet").FirstOrDefault() : null) ?? throw new S3Exception(S3ErrorCode.MalformedXML);
        var tags = tagSet.Children("Tag").Select(t => new KeyValuePair<string, string>(t.ChildValue("Key") ?? "", t.ChildValue("Value") ?? "")).ToList();
        ObjectRequestHeaders.ValidateTags(tags);
        await SetTagsAsync(req, tags);
        req.Response.StatusCode = 200;
    }

    private async Task SetTagsAsync(S3Request req, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        if (!await tagger.PutTaggingAsync(req.BucketName, req.Key, tags, req.Aborted))
        {
            throw new S3Exception(S3ErrorCode.NoSuchKey).With("Key", req.Key);
        }
    }

    public async Task GetObjectTaggingAsync(S3Request req)
    {
        var tags = await tagger.GetTaggingAsync(req.BucketName, req.Key, req.Aborted)
            ?? throw new S3Exception(S3ErrorCode.NoSuchKey).With("Key", req.Key);
        await S3Xml.WriteAsync(req.Response, "Tagging", w =>
        {
            w.WriteStartElement("TagSet");
            foreach (var (k, v) in tags)
            {
                w.WriteStartElement("Tag");
                w.WriteElementString("Key", k);
                w.WriteElementString("Value", v);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        });
    }

    public async Task DeleteObjectTaggingAsync(S3Request req)
    {
        await SetTagsAsync(req, []);
        req.Response.StatusCode = 204;
    }
}
