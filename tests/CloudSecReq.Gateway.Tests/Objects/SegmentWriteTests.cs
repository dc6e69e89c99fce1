using System.Security.Cryptography;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;
using Microsoft.Extensions.Logging.Abstractions;

namespace CloudSecReq.Gateway.Tests.Objects;

/// <summary>The write stages of one segment over two volumes in two racks, without a KMS (no data key: stored as is).</summary>
public sealed class SegmentWriteTests : IAsyncDisposable
{
    private static readonly StorageClass s_twoShards = new("TWO", 1, 1, 2);
    private readonly string _root = Directory.CreateTempSubdirectory("csr-segment-").FullName;
    private readonly VolumeLogs _logs;
    private readonly ManifestCodec _codec;
    private readonly BlobStore _blobs;

    public SegmentWriteTests()
    {
        var identityKey = RandomNumberGenerator.GetBytes(VolumeIdentity.KeyBytes);
        var volumes = new[] { "1", "2" }.Select(n => Volume.Open(new VolumeConfig("v" + n, Path.Combine(_root, "v" + n), "site1", "rack" + n, "node" + n),
            identityKey, TimeProvider.System)).ToList();
        _logs = new VolumeLogs(volumes, NullLogger.Instance);
        _codec = ManifestCodec.FromVolumeIdentityKey(identityKey);
        _blobs = new BlobStore(volumes, new PlacementPlanner(), logs: _logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _logs.DisposeAsync();
        _codec.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private int ShardFileCount() => Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
        .Count(f => f.Contains($"{Path.DirectorySeparatorChar}blobs{Path.DirectorySeparatorChar}"));

    [Fact]
    public async Task SegmentWrite_SmallSinglePut_IsInlineAndWritesNoFile()
    {
        var body = RandomNumberGenerator.GetBytes(1000);
        SegmentCommit commit;
        await using (var segment = SegmentWrite.Open(_blobs, s_twoShards, body.Length, dataKey: null, partNumber: 0))
        {
            await segment.Plaintext.WriteAsync(body);
            commit = await segment.CommitAsync(default);
        }
        Assert.True(commit.Segment.Inline);
        Assert.Equal(body.Length, commit.Segment.PlainLength);
        Assert.Equal(body, commit.InlineBytes!.Value.ToArray());
        Assert.Equal(["v1", "v2"], commit.PlannedVolumes.Order());
        Assert.Equal(0, ShardFileCount());
    }

    [Fact]
    public async Task SegmentWrite_Part_IsShardedAndReadsBack()
    {
        var body = RandomNumberGenerator.GetBytes(1000);
        SegmentCommit commit;
        await using (var segment = SegmentWrite.Open(_blobs, s_twoShards, body.Length, dataKey: null, partNumber: 1))
        {
            await segment.Plaintext.WriteAsync(body);
            commit = await segment.CommitAsync(default);
        }
        Assert.False(commit.Segment.Inline);
        Assert.Equal(1, commit.Segment.PartNumber);
        Assert.Equal(2, commit.Segment.Shards.Count);
        var record = new ObjectRecord { Bucket = "b", Key = "k", Size = body.Length, ETag = "\"e\"", LastModified = DateTimeOffset.UnixEpoch, Segments = [commit.Segment] };
        using var read = new MemoryStream();
        var result = await ObjectBody.CopyAsync(_blobs, new InlineCopies(_blobs, _codec), record, null, 0, body.Length, read, null, default);
        Assert.Empty(result.Faults);
        Assert.Null(result.NoCopyReadable);
        Assert.Equal(body, read.ToArray());
    }

    [Fact]
    public async Task SegmentWrite_DisposedWithoutCommit_CommitsNoShardAndReleasesItsFiles()
    {
        await using (var segment = SegmentWrite.Open(_blobs, s_twoShards, null, dataKey: null, partNumber: 0))
        {
            await segment.Plaintext.WriteAsync(RandomNumberGenerator.GetBytes(300_000));
        }
        Assert.Equal(0, ShardFileCount());
        // The temporary files are handed to the garbage collector, which overwrites them before unlinking.
        Assert.True(_blobs.TryTakeReleasedFile(out var released), "no temporary file was released");
        Assert.Contains($"{Path.DirectorySeparatorChar}tmp{Path.DirectorySeparatorChar}", released);
    }
}
