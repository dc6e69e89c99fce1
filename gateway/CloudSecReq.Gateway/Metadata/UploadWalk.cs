using System.Runtime.CompilerServices;

namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// Every part of every open multipart upload of every bucket, for the healer's sweep and the
/// scrubber (issue 11: parts are stored data too, and a part lost before CompleteMultipartUpload is
/// lost to the object). Buckets in ordinal order, uploads by key and id, parts by number. Uploads
/// started, completed or aborted during the walk may or may not be seen.
/// </summary>
internal static class UploadWalk
{
    public static async IAsyncEnumerable<(MultipartUpload Upload, UploadPart Part)> AllPartsAsync(IMetadataStore store, [EnumeratorCancellation] CancellationToken ct)
    {
        var buckets = new List<string>();
        foreach (var tenant in await store.ListTenantsAsync(ct))
        {
            buckets.AddRange((await store.ListBucketsAsync(tenant.Id, ct)).Select(b => b.Name));
        }
        buckets.Sort(StringComparer.Ordinal);
        foreach (var bucket in buckets)
        {
            string? keyMarker = null, uploadIdMarker = null;
            while (true)
            {
                var uploads = await store.ListUploadsAsync(bucket, "", keyMarker, uploadIdMarker, ObjectWalk.PageSize, ct);
                foreach (var upload in uploads.Items)
                {
                    var marker = 0;
                    while (true)
                    {
                        var parts = await store.ListPartsAsync(upload.UploadId, marker, ObjectWalk.PageSize, ct);
                        foreach (var part in parts.Items)
                        {
                            yield return (upload, part);
                        }
                        if (!parts.IsTruncated || parts.Items.Count == 0)
                        {
                            break;
                        }
                        marker = parts.Items[^1].PartNumber;
                    }
                }
                if (!uploads.IsTruncated || uploads.Items.Count == 0)
                {
                    break;
                }
                (keyMarker, uploadIdMarker) = (uploads.Items[^1].Key, uploads.Items[^1].UploadId);
            }
        }
    }
}
