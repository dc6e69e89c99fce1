using System.Security.Cryptography;
using System.Text;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Metadata.Sqlite;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;
using CloudSecReq.Gateway.Tests.Integration;
using Microsoft.Extensions.Logging.Abstractions;

namespace CloudSecReq.Gateway.Tests.Storage;

/// <summary>
/// A blob store over one volume in a scratch directory, a SQLite metadata store beside it
/// (or in a directory of its own) and a garbage collector over both: the storage layer
/// without a KMS, so that blobs can hold known bytes in the clear.
/// </summary>
internal sealed class StorageScratch : IAsyncDisposable
{
    private static readonly DateTimeOffset s_t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private StorageScratch(Volume volume, BlobStore blobs, IMetadataStore store, GarbageCollector garbage, string bucket, string linkDirectory)
    {
        Volume = volume;
        Blobs = blobs;
        Store = store;
        Garbage = garbage;
        Bucket = bucket;
        LinkDirectory = linkDirectory;
    }

    public Volume Volume { get; }
    public BlobStore Blobs { get; }
    public IMetadataStore Store { get; }
    public GarbageCollector Garbage { get; }
    public string Bucket { get; }
    /// <summary>A directory on the volume's file system for hard links that outlive an unlink.</summary>
    public string LinkDirectory { get; }

    public static async Task<StorageScratch> OpenAsync(string volumeRoot, string metadataDirectory, long overwriteBytesPerSecond = 0)
    {
        var volume = Volume.Open(new VolumeConfig("v1", Path.Combine(volumeRoot, "v1"), "site1", "rack1", "node1"), RandomNumberGenerator.GetBytes(VolumeIdentity.KeyBytes), TimeProvider.System);
        var blobs = new BlobStore([volume], new CloudSecReq.Gateway.Placement.PlacementPlanner());
        Directory.CreateDirectory(metadataDirectory);
        var store = await SqliteMetadataStore.OpenAsync(Path.Combine(metadataDirectory, "metadata.db"), default);
        var bucket = "b" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(BucketCreateResult.Created, await store.CreateBucketAsync(new Bucket(bucket, "t1", "us-east-1", s_t0), default));
        var links = Directory.CreateDirectory(Path.Combine(volumeRoot, "links")).FullName;
        return new StorageScratch(volume, blobs, store, new GarbageCollector(store, blobs, overwriteBytesPerSecond, NullLogger<GarbageCollector>.Instance), bucket, links);
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> as a committed single-file segment, unencrypted and not
    /// erasure-coded: what matters here is how released files are overwritten, not their layout.
    /// </summary>
    public async Task<DataSegment> WriteBlobAsync(byte[] bytes)
    {
        await using var writer = NewBlob();
        await writer.File.WriteAsync(bytes);
        return Segment(await writer.CommitAsync(default), bytes.Length);
    }

    /// <summary>A blob being written on the scratch volume.</summary>
    public BlobWriter NewBlob() => Blobs.CreateBlob(Volume, Guid.NewGuid().ToString("N"));

    /// <summary>A one-file segment record for <paramref name="shard"/>.</summary>
    public static DataSegment Segment(ShardBlob shard, long lengthBytes) => new()
    {
        Length = lengthBytes, DataShards = 1, ParityShards = 0, BlockBytes = (int)Math.Max(1, lengthBytes), Shards = [shard],
    };

    /// <summary>Stores an object made of <paramref name="segment"/> (replacing any object of that key).</summary>
    public Task PutObjectAsync(string objectKey, DataSegment segment) => Store.PutObjectAsync(new ObjectRecord
    {
        Bucket = Bucket, Key = objectKey, Size = segment.Length, ETag = "\"e\"", LastModified = s_t0, Segments = [segment],
    }, default);

    /// <summary>Starts a multipart upload holding one part made of <paramref name="segment"/>; returns its id.</summary>
    public async Task<string> UploadPartAsync(string objectKey, DataSegment segment)
    {
        var uploadId = Guid.NewGuid().ToString("N");
        await Store.CreateUploadAsync(new MultipartUpload { UploadId = uploadId, Bucket = Bucket, Key = objectKey, Initiated = s_t0, InitiatorTenantId = "t1", InitiatorUser = "root" }, default);
        Assert.True(await Store.PutPartAsync(new UploadPart(uploadId, 1, segment.Length, "\"p\"", s_t0, null, segment), default));
        return uploadId;
    }

    /// <summary>
    /// A second name for <paramref name="path"/> (same inode): after the original is unlinked it
    /// still shows what the blocks hold, which is how the in-place overwrite can be observed.
    /// </summary>
    public async Task<string> HardLinkAsync(string path)
    {
        var link = Path.Combine(LinkDirectory, Guid.NewGuid().ToString("N"));
        var ln = await ExternalProcess.RunAsync("ln", [path, link]);
        Assert.True(ln.ExitCode == 0, ln.ToString());
        return link;
    }

    /// <summary><paramref name="marker"/> repeated (and cut) to <paramref name="lengthBytes"/>.</summary>
    public static byte[] Repeat(string marker, int lengthBytes)
    {
        var unit = Encoding.ASCII.GetBytes(marker + "|");
        var bytes = new byte[lengthBytes];
        for (var i = 0; i < lengthBytes; i += unit.Length)
        {
            unit.AsSpan(0, Math.Min(unit.Length, lengthBytes - i)).CopyTo(bytes.AsSpan(i));
        }
        return bytes;
    }

    /// <summary>How many times <paramref name="needle"/> occurs in <paramref name="haystack"/>.</summary>
    public static int CountOccurrences(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var n = 0;
        for (var at = haystack.IndexOf(needle); at >= 0; at = haystack.IndexOf(needle))
        {
            n++;
            haystack = haystack[(at + needle.Length)..];
        }
        return n;
    }

    public async ValueTask DisposeAsync()
    {
        await Garbage.DisposeAsync();
        await Store.DisposeAsync();
    }
}
