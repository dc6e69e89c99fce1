using System.Globalization;
using System.Xml;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3.Xml;

namespace CloudSecReq.Gateway.S3.Handlers;

/// <summary>
/// CloudSecReq's answer to "where is my data?" (P2 8.3.2 b), for the bucket's own tenant:
/// <c>GET /bucket/key?locate</c> lists the volumes (site, rack, node) that hold each stored piece of
/// an object; <c>GET /bucket?locate</c> sums a bucket's stored bytes per site and rack.
/// </summary>
internal sealed class LocationHandlers(ObjectLocations locations)
{
    public async Task GetObjectLocationAsync(S3Request req)
    {
        var (record, segments) = await locations.LocateAsync(req.BucketName, req.Key, req.Aborted)
            ?? throw new S3Exception(S3ErrorCode.NoSuchKey).With("Key", req.Key);
        await S3Xml.WriteAsync(req.Response, "ObjectLocation", w =>
        {
            w.WriteElementString("Bucket", record.Bucket);
            w.WriteElementString("Key", record.Key);
            w.WriteElementString("StorageClass", record.StorageClass);
            foreach (var segment in segments)
            {
                w.WriteStartElement("Segment");
                w.WriteElementString("PartNumber", segment.PartNumber.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("Size", segment.Bytes.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("Layout", segment.Layout);
                foreach (var piece in segment.Pieces)
                {
                    w.WriteStartElement("Piece");
                    w.WriteElementString("Index", piece.Index.ToString(CultureInfo.InvariantCulture));
                    WritePlace(w, piece.Site, piece.Rack);
                    w.WriteElementString("Node", piece.Node);
                    w.WriteElementString("Volume", piece.VolumeId);
                    w.WriteElementString("State", piece.State);
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
        });
    }

    public async Task GetBucketDataLocationAsync(S3Request req)
    {
        var (objects, racks) = await locations.SummarizeBucketAsync(req.BucketName, req.Aborted);
        await S3Xml.WriteAsync(req.Response, "BucketDataLocation", w =>
        {
            w.WriteElementString("Bucket", req.BucketName);
            w.WriteElementString("Objects", objects.ToString(CultureInfo.InvariantCulture));
            foreach (var share in racks)
            {
                w.WriteStartElement("Rack");
                WritePlace(w, share.Site, share.Rack);
                w.WriteElementString("Pieces", share.Pieces.ToString(CultureInfo.InvariantCulture));
                w.WriteElementString("StoredBytes", share.StoredBytes.ToString(CultureInfo.InvariantCulture));
                w.WriteEndElement();
            }
        });
    }

    private static void WritePlace(XmlWriter w, string site, string rack)
    {
        w.WriteElementString("Site", site);
        w.WriteElementString("RackName", rack);
    }
}
