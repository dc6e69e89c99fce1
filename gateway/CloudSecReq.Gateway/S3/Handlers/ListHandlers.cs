using System.Globalization;
using System.Text;
using System.Xml;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3.Xml;

namespace CloudSecReq.Gateway.S3.Handlers;

/// <summary>ListObjects (v1), ListObjectsV2, ListObjectVersions (null versions) and ListMultipartUploads.</summary>
internal sealed class ListHandlers(ObjectListing listing)
{
    private static int MaxKeys(S3Request req, string name = "max-keys")
    {
        var text = req.Query(name);
        if (text is null)
        {
            return 1000;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Provided max-keys not an integer or within integer range").With("ArgumentName", name);
        }
        return Math.Min(n, 1000);
    }

    private static Func<string, string> Encoder(S3Request req)
    {
        var encoding = req.Query("encoding-type");
        if (encoding is null)
        {
            return v => v;
        }
        if (encoding != "url")
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Invalid Encoding Method specified in Request").With("ArgumentName", "encoding-type");
        }
        return UrlEncode;
    }

    public async Task ListObjectsAsync(S3Request req)
    {
        var prefix = req.Query("prefix") ?? "";
        var delimiter = req.Query("delimiter");
        var marker = req.Query("marker");
        var maxKeys = MaxKeys(req);
        var enc = Encoder(req);
        var result = await listing.ListAsync(req.BucketName, prefix, delimiter, marker, maxKeys, req.Aborted);
        await S3Xml.WriteAsync(req.Response, "ListBucketResult", w =>
        {
            w.WriteElementString("Name", req.BucketName);
            w.WriteElementString("Prefix", enc(prefix));
            w.WriteElementString("Marker", enc(marker ?? ""));
            if (result.IsTruncated)
            {
                w.Element("NextMarker", result.Last is null ? null : enc(result.Last));
            }

            w.WriteElementString("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            w.Element("Delimiter", delimiter is null ? null : enc(delimiter));
            w.WriteElementString("IsTruncated", result.IsTruncated ? "true" : "false");
            w.Element("EncodingType", req.Query("encoding-type"));
            WriteContents(w, result, enc, owner: req.Principal.Tenant);
        });
    }

    public async Task ListObjectsV2Async(S3Request req)
    {
        var prefix = req.Query("prefix") ?? "";
        var delimiter = req.Query("delimiter");
        var startAfter = req.Query("start-after");
        var token = req.Query("continuation-token");
        var maxKeys = MaxKeys(req);
        var enc = Encoder(req);
        var cursor = startAfter;
        if (token is not null)
        {
            try
            {
                cursor = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            }
            catch (FormatException)
            {
                throw new S3Exception(S3ErrorCode.InvalidArgument, "The continuation token provided is incorrect").With("ArgumentName", "continuation-token");
            }
        }
        var fetchOwner = req.Query("fetch-owner") == "true";
        var result = await listing.ListAsync(req.BucketName, prefix, delimiter, cursor, maxKeys, req.Aborted);
        await S3Xml.WriteAsync(req.Response, "ListBucketResult", w =>
        {
            w.WriteElementString("Name", req.BucketName);
            w.WriteElementString("Prefix", enc(prefix));
            w.Element("StartAfter", startAfter is null ? null : enc(startAfter));
            w.Element("ContinuationToken", token);
            if (result.IsTruncated && result.Last is not null)
            {
                w.WriteElementString("NextContinuationToken", Convert.ToBase64String(Encoding.UTF8.GetBytes(result.Last)));
            }
            w.WriteElementString("KeyCount", (result.Objects.Count + result.CommonPrefixes.Count).ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            w.Element("Delimiter", delimiter is null ? null : enc(delimiter));
            w.WriteElementString("IsTruncated", result.IsTruncated ? "true" : "false");
            w.Element("EncodingType", req.Query("encoding-type"));
            WriteContents(w, result, enc, owner: fetchOwner ? req.Principal.Tenant : null);
        });
    }

    private static void WriteContents(XmlWriter w, ObjectListing.Result result, Func<string, string> enc, Tenant? owner)
    {
        foreach (var o in result.Objects)
        {
            w.WriteStartElement("Contents");
            w.WriteElementString("Key", enc(o.Key));
            w.WriteElementString("LastModified", S3Xml.Time(o.LastModified));
            w.WriteElementString("ETag", o.ETag);
            w.WriteElementString("Size", o.Size.ToString(CultureInfo.InvariantCulture));
            if (owner is not null)
            {
                BucketHandlers.WriteOwner(w, owner);
            }

            w.WriteElementString("StorageClass", o.StorageClass);
            if (o.Checksum is not null)
            {
                w.WriteElementString("ChecksumAlgorithm", o.Checksum.Algorithm);
                w.WriteElementString("ChecksumType", o.Checksum.Type);
            }
            w.WriteEndElement();
        }
        WriteCommonPrefixes(w, result.CommonPrefixes, enc);
    }

    private static void WriteCommonPrefixes(XmlWriter w, IEnumerable<string> prefixes, Func<string, string> enc)
    {
        foreach (var p in prefixes)
        {
            w.WriteStartElement("CommonPrefixes");
            w.WriteElementString("Prefix", enc(p));
            w.WriteEndElement();
        }
    }

    public async Task ListObjectVersionsAsync(S3Request req)
    {
        var prefix = req.Query("prefix") ?? "";
        var delimiter = req.Query("delimiter");
        var keyMarker = req.Query("key-marker");
        var maxKeys = MaxKeys(req);
        var enc = Encoder(req);
        var result = await listing.ListAsync(req.BucketName, prefix, delimiter, keyMarker, maxKeys, req.Aborted);
        await S3Xml.WriteAsync(req.Response, "ListVersionsResult", w =>
        {
            w.WriteElementString("Name", req.BucketName);
            w.WriteElementString("Prefix", enc(prefix));
            w.WriteElementString("KeyMarker", enc(keyMarker ?? ""));
            w.WriteElementString("VersionIdMarker", req.Query("version-id-marker") ?? "");
            if (result.IsTruncated && result.Last is not null)
            {
                w.WriteElementString("NextKeyMarker", enc(result.Last));
                w.WriteElementString("NextVersionIdMarker", "null");
            }
            w.WriteElementString("MaxKeys", maxKeys.ToString(CultureInfo.InvariantCulture));
            w.Element("Delimiter", delimiter is null ? null : enc(delimiter));
            w.WriteElementString("IsTruncated", result.IsTruncated ? "true" : "false");
            w.Element("EncodingType", req.Query("encoding-type"));
            foreach (var o in result.Objects)
            {
                w.WriteStartElement("Version");
                w.WriteElementString("Key", enc(o.Key));
                w.WriteElementString("VersionId", "null");
                w.WriteElementString("IsLatest", "true");
                w.WriteElementString("LastModified", S3Xml.Time(o.LastModified));
                w.WriteElementString("ETag", o.ETag);
                w.WriteElementString("Size", o.Size.ToString(CultureInfo.InvariantCulture));
                BucketHandlers.WriteOwner(w, req.Principal.Tenant);
                w.WriteElementString("StorageClass", o.StorageClass);
                w.WriteEndElement();
            }
            WriteCommonPrefixes(w, result.CommonPrefixes, enc);
        });
    }

    public async Task ListMultipartUploadsAsync(S3Request req)
    {
        var prefix = req.Query("prefix") ?? "";
        var delimiter = req.Query("delimiter");
        var keyMarker = req.Query("key-marker");
        var uploadIdMarker = keyMarker is null ? null : req.Query("upload-id-marker");
        var maxUploads = MaxKeys(req, "max-uploads");
        var enc = Encoder(req);
        var result = await listing.ListUploadsAsync(req.BucketName, prefix, delimiter, keyMarker, string.IsNullOrEmpty(uploadIdMarker) ? null : uploadIdMarker,
            maxUploads, req.Aborted);
        var last = result.Last;
        await S3Xml.WriteAsync(req.Response, "ListMultipartUploadsResult", w =>
        {
            w.WriteElementString("Bucket", req.BucketName);
            w.WriteElementString("KeyMarker", enc(keyMarker ?? ""));
            w.WriteElementString("UploadIdMarker", uploadIdMarker ?? "");
            if (result.IsTruncated && last is not null)
            {
                w.WriteElementString("NextKeyMarker", enc(last.Key));
                w.WriteElementString("NextUploadIdMarker", last.UploadId);
            }
            w.WriteElementString("Prefix", enc(prefix));
            w.Element("Delimiter", delimiter is null ? null : enc(delimiter));
            w.WriteElementString("MaxUploads", maxUploads.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("IsTruncated", result.IsTruncated ? "true" : "false");
            w.Element("EncodingType", req.Query("encoding-type"));
            foreach (var u in result.Uploads)
            {
                w.WriteStartElement("Upload");
                w.WriteElementString("Key", enc(u.Key));
                w.WriteElementString("UploadId", u.UploadId);
                MultipartHandlers.WriteInitiator(w, req.Principal.Tenant, u);
                BucketHandlers.WriteOwner(w, req.Principal.Tenant);
                w.WriteElementString("StorageClass", u.StorageClass);
                w.WriteElementString("Initiated", S3Xml.Time(u.Initiated));
                if (u.ChecksumAlgorithm is not null)
                {
                    w.WriteElementString("ChecksumAlgorithm", u.ChecksumAlgorithm);
                }

                w.WriteEndElement();
            }
            WriteCommonPrefixes(w, result.CommonPrefixes, enc);
        });
    }

    /// <summary>encoding-type=url: percent-encode as S3 does (space as '+', '/' kept), which clients undo with unquote_plus.</summary>
    public static string UrlEncode(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or '/')
            {
                sb.Append(c);
            }
            else if (c == ' ')
            {
                sb.Append('+');
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2"));
            }
        }
        return sb.ToString();
    }
}
