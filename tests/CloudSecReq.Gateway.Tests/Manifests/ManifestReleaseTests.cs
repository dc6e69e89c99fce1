using System.Security.Cryptography;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Metadata.Sqlite;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Storage.Garbage;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;
using Microsoft.Extensions.Logging.Abstractions;

namespace CloudSecReq.Gateway.Tests.Manifests;

/// <summary>
/// Manifest copies follow their object: m + 1 copies in two racks at write, overwritten in their
/// logs (by the garbage collector, durably queued) once the object is deleted or replaced.
/// </summary>
public sealed class ManifestReleaseTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "csr-manifest-" + Guid.NewGuid().ToString("N")[..12])).FullName;
    private List<Volume> _volumes = null!;
    private VolumeLogs _logs = null!;
    private SqliteMetadataStore _store = null!;
    private GarbageCollector _garbage = null!;
    private ManifestWriter _writer = null!;
    private ManifestCodec _codec = null!;

    public async Task InitializeAsync()
    {
        var identityKey = RandomNumberGenerator.GetBytes(VolumeIdentity.KeyBytes);
        _volumes = [.. Enumerable.Range(1, 6).Select(i => Volume.Open(
            new VolumeConfig($"v{i}", Path.Combine(_root, $"v{i}"), "site1", $"rack{(i + 1) / 2}", $"node{i}"), identityKey, TimeProvider.System))];
        _logs = new VolumeLogs(_volumes, NullLogger.Instance);
        _store = await SqliteMetadataStore.OpenAsync(Path.Combine(_root, "metadata.db"), default);
        var blobs = new BlobStore(_volumes, new PlacementPlanner());
        _garbage = new GarbageCollector(_store, blobs, 0, NullLogger<GarbageCollector>.Instance, _logs);
        _codec = ManifestCodec.FromVolumeIdentityKey(identityKey);
        _writer = new ManifestWriter(_logs, _codec, new PlacementPlanner(), TimeProvider.System, NullLogger<ManifestWriter>.Instance);
        await _store.CreateBucketAsync(new Bucket("bucket-1", "t1", "us-east-1", DateTimeOffset.UnixEpoch), default);
    }

    public async Task DisposeAsync()
    {
        await _garbage.DisposeAsync();
        await _logs.DisposeAsync();
        await _store.DisposeAsync();
        _codec.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<ObjectRecord> PutAsync(string key)
    {
        var record = ManifestCodecTests.FullRecord() with { Bucket = "bucket-1", Key = key, Segments = [ManifestCodecTests.FullRecord().Segments[0]] };
        record = record with { Manifests = await _writer.WriteObjectAsync(record, default) };
        await _store.PutObjectAsync(record, default);
        return record;
    }

    private async Task<byte[]?> ReadAsync(ManifestCopy copy) => await _logs.Find(copy.VolumeId)!.ReadAsync(copy.Extent, default);

    [Fact]
    public async Task WriteObject_FourPlusTwo_ThreeCopiesOnShardVolumesInThreeRacks()
    {
        var record = await PutAsync("k");

        Assert.Equal(3, record.Manifests.Count);
        Assert.Equal(3, record.Manifests.Select(m => _volumes.Single(v => v.Id == m.VolumeId).Config.Rack).Distinct().Count());
        foreach (var copy in record.Manifests)
        {
            var decoded = _codec.TryDecode(await ReadAsync(copy));
            Assert.Equal("k", decoded!.Object!.Key);
            Assert.Empty(decoded.Object.Manifests);
        }
    }

    [Fact]
    public async Task CollectNow_DeletedObject_ItsManifestCopiesAreOverwritten()
    {
        var record = await PutAsync("gone");
        var kept = await PutAsync("kept");
        Assert.True(await _store.DeleteObjectAsync("bucket-1", "gone", default));
        Assert.Equal(3, (await _store.ListManifestGarbageAsync(10, default)).Count);

        var result = await _garbage.CollectNowAsync(default);

        Assert.Equal(3, result.ManifestsOverwritten);
        foreach (var copy in record.Manifests)
        {
            Assert.Null(await ReadAsync(copy));
        }
        foreach (var copy in kept.Manifests)
        {
            Assert.NotNull(await ReadAsync(copy));
        }
        Assert.Empty(await _store.ListManifestGarbageAsync(10, default));
    }

    [Fact]
    public async Task CollectNow_ReplacedObject_OnlyTheOldCopiesAreOverwritten()
    {
        var old = await PutAsync("k");
        var current = await PutAsync("k");

        await _garbage.CollectNowAsync(default);

        foreach (var copy in old.Manifests)
        {
            Assert.Null(await ReadAsync(copy));
        }
        foreach (var copy in current.Manifests)
        {
            Assert.NotNull(await ReadAsync(copy));
        }
    }
}
