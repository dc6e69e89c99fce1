using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3.Xml;

namespace CloudSecReq.Gateway.S3.Handlers;

/// <summary>PutObjectTagging, GetObjectTagging, DeleteObjectTagging.</summary>
internal sealed class TaggingHandlers(S3Services s, ObjectManifests manifests)
{
    public async Task PutObjectTaggingAsync(S3Request req)
    {
        var doc = S3Xml.Parse(await BodyIngest.ReadSmallAsync(req, 64 * 1024, req.Aborted));
        var tagSet = doc.Name.LocalName == "Tagging" ? doc.Children("TagSet").FirstOrDefault() : null;
        if (tagSet is null)
        {
            throw new S3Exception(S3ErrorCode.MalformedXML);
        }
        var tags = tagSet.Children("Tag").Select(t => new KeyValuePair<string, string>(t.ChildValue("Key") ?? "", t.ChildValue("Value") ?? "")).ToList();
        ObjectRequestHeaders.ValidateTags(tags);
        await SetTagsAsync(req, tags);
        req.Response.StatusCode = 200;
    }

    /// <summary>
    /// Replaces an object's tags. The manifest is written anew (the volumes must describe the tags a
    /// rebuild restores; an inline object's copies carry its bytes over) and swapped in only if the
    /// object was not replaced meanwhile; otherwise the new copies are released and it is tried again.
    /// </summary>
    private async Task SetTagsAsync(S3Request req, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        var ct = req.Aborted;
        for (var attempt = 0; ; attempt++)
        {
            var current = await s.Store.GetObjectAsync(req.BucketName, req.Key, ct)
                ?? throw new S3Exception(S3ErrorCode.NoSuchKey).With("Key", req.Key);
            var replacement = await manifests.WriteFreshAsync(current, current with { Tags = tags }, ct);
            bool replaced;
            try
            {
                replaced = await s.Store.ReplaceObjectIfUnchangedAsync(current, replacement, CancellationToken.None);
            }
            catch
            {
                await manifests.ReleaseAsync(replacement);
                throw;
            }
            if (replaced)
            {
                await s.Garbage.CollectAsync(ct);
                return;
            }
            await manifests.ReleaseAsync(replacement);
            if (attempt == 3)
            {
                throw new S3Exception(S3ErrorCode.SlowDown, "The object changed while its tags were being set; please retry.");
            }
        }
    }

    public async Task GetObjectTaggingAsync(S3Request req)
    {
        var record = await s.Store.GetObjectAsync(req.BucketName, req.Key, req.Aborted)
            ?? throw new S3Exception(S3ErrorCode.NoSuchKey).With("Key", req.Key);
        await S3Xml.WriteAsync(req.Response, "Tagging", w =>
        {
            w.WriteStartElement("TagSet");
            foreach (var (k, v) in record.Tags)
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
