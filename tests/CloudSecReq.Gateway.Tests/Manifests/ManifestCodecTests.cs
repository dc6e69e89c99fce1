using System.Security.Cryptography;
using System.Text;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Tests.Manifests;

/// <summary>The manifest format (docs/manifest-log.md, "What the gateway writes"): an ObjectRecord survives it whole; tampered records are refused.</summary>
public sealed class ManifestCodecTests : IDisposable
{
    private readonly ManifestCodec _codec = ManifestCodec.FromVolumeIdentityKey(RandomNumberGenerator.GetBytes(VolumeIdentity.KeyBytes));

    public void Dispose() => _codec.Dispose();

    internal static ObjectRecord FullRecord() => new()
    {
        Bucket = "bucket-1",
        Key = "dir/ключ 🔑.bin",
        Size = 12_345_678,
        ETag = "\"0123456789abcdef0123456789abcdef-2\"",
        LastModified = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_123_456),
        Headers = new ObjectHeaders { ContentType = "application/x-test", ContentEncoding = "gzip", ContentDisposition = "attachment", ContentLanguage = "de", CacheControl = "no-cache", Expires = "Thu, 01 Dec 2094 16:00:00 GMT" },
        UserMetadata = new Dictionary<string, string> { ["colour"] = "blue", ["empty"] = "" },
        Tags = [new("a", "1"), new("b", "")],
        Checksum = new ObjectChecksum("CRC32C", "AAAAAA==-2", "COMPOSITE"),
        Segments =
        [
            new DataSegment { Length = 6_000_000, PlainLength = 5_999_000, Salt = [1, 2, 3], PartNumber = 1, DataShards = 4, ParityShards = 2, BlockBytes = 262_144,
                Shards = [.. Enumerable.Range(1, 6).Select(i => new ShardBlob($"v{i}", $"{i:x2}" + new string('a', 30)))] },
            new DataSegment { Length = 6_400_000, PlainLength = 6_345_678, Salt = [4, 5, 6], PartNumber = 2, DataShards = 4, ParityShards = 2, BlockBytes = 262_144,
                Shards = [.. Enumerable.Range(1, 6).Select(i => new ShardBlob($"v{7 - i}", $"{i:x2}" + new string('b', 30)))] },
        ],
        StorageClass = "STANDARD",
        PartsCount = 2,
        PartSizes = [5_999_000, 6_345_678],
        Encryption = new ObjectEncryption
        {
            Mode = ObjectEncryption.SseKms,
            KeyArn = "arn:aws:kms:us-east-1:123456789012:key/k",
            Context = new Dictionary<string, string> { ["project"] = "x" },
            BucketKeyEnabled = true,
            WrappedBucketKey = [9, 8, 7],
            WrappedDataKey = [.. Enumerable.Range(0, 60).Select(i => (byte)i)],
        },
    };

    private static string Canonical(ObjectRecord r) => System.Text.Json.JsonSerializer.Serialize(r);

    [Fact]
    public void EncodeDecode_FullObjectRecord_RoundTripsEveryField()
    {
        var record = FullRecord();
        var payload = _codec.Encode(new ManifestRecord { Kind = ManifestRecord.ObjectKind, Id = "id1", WrittenTicks = 42, Object = record });

        var decoded = _codec.TryDecode(payload);

        Assert.NotNull(decoded);
        Assert.Equal(ManifestRecord.CurrentFormat, decoded.Format);
        Assert.Equal(ManifestRecord.ObjectKind, decoded.Kind);
        Assert.Equal(42, decoded.WrittenTicks);
        Assert.Equal(Canonical(record), Canonical(decoded.Object!));
        Assert.Equal(record.Encryption!.WrappedDataKey, decoded.Object!.Encryption!.WrappedDataKey);
        Assert.Equal(record.Segments[1].Shards, decoded.Object.Segments[1].Shards);
    }

    [Fact]
    public void EncodeDecode_SseCRecord_KeepsTheCustomerKeyCheckAndNoPlaintextKey()
    {
        var record = FullRecord() with
        {
            Encryption = new ObjectEncryption { Mode = ObjectEncryption.SseC, WrappedDataKey = [1, 2, 3], CustomerKeySalt = [4, 5], CustomerKeyMac = [6, 7] },
        };
        var decoded = _codec.TryDecode(_codec.Encode(new ManifestRecord { Kind = ManifestRecord.ObjectKind, Id = "id", WrittenTicks = 1, Object = record }));
        Assert.Equal(Canonical(record), Canonical(decoded!.Object!));
    }

    [Fact]
    public void EncodeDecode_CatalogSnapshot_RoundTrips()
    {
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var snapshot = new CatalogSnapshot(7,
            [new Tenant("t1", "acme", "123456789012", t0)],
            [new User("t1", "root", true, new UserPolicy(false, null), t0), new User("t1", "reader", false, new UserPolicy(true, ["b1"]), t0)],
            [new AccessKey("AKIA1", "t1", "root", [1, 2, 3], true, t0)],
            [new Bucket("b1", "t1", "us-east-1", t0) { Encryption = new BucketEncryption("aws:kms", "key-1", true) }]);
        var decoded = _codec.TryDecode(_codec.Encode(new ManifestRecord { Kind = ManifestRecord.CatalogKind, Id = "c", WrittenTicks = 1, Catalog = snapshot }));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(snapshot), System.Text.Json.JsonSerializer.Serialize(decoded!.Catalog));
    }

    [Fact]
    public void TryDecode_AnyByteChangedOrAnotherKey_IsRefused()
    {
        var payload = _codec.Encode(new ManifestRecord { Kind = ManifestRecord.ObjectKind, Id = "id", WrittenTicks = 1, Object = FullRecord() });
        foreach (var at in new[] { 0, ManifestCodec.MacBytes, payload.Length / 2, payload.Length - 1 })
        {
            var tampered = (byte[])payload.Clone();
            tampered[at] ^= 1;
            Assert.Null(_codec.TryDecode(tampered));
        }
        using var other = ManifestCodec.FromVolumeIdentityKey(RandomNumberGenerator.GetBytes(VolumeIdentity.KeyBytes));
        Assert.Null(other.TryDecode(payload));
        Assert.Null(_codec.TryDecode(Encoding.UTF8.GetBytes("not a manifest")));
    }

    private static ObjectRecord InlineRecord(int sealedBytes) => FullRecord() with
    {
        Segments = [new DataSegment { Length = sealedBytes, PlainLength = Math.Max(0, sealedBytes - 16), Salt = [1], DataShards = 1, ParityShards = 2, BlockBytes = 0, Shards = [], Inline = true }],
        PartsCount = 0,
        PartSizes = [],
    };

    [Theory]
    [InlineData(16)]
    [InlineData(4096 + 16)]
    [InlineData(65536 + 16)]
    public void Encode_WithInlineBytes_CarriesThemAfterTheJsonInFormat2(int sealedBytes)
    {
        // Zero bytes inside the inline data must not confuse the split: only the first zero after the MAC ends the JSON.
        var bytes = RandomNumberGenerator.GetBytes(sealedBytes);
        bytes[0] = 0;
        bytes[^1] = 0;
        var record = InlineRecord(sealedBytes);

        var payload = _codec.Encode(new ManifestRecord { Kind = ManifestRecord.ObjectKind, Id = "id", WrittenTicks = 1, Object = record }, bytes);
        var decoded = _codec.TryDecode(payload);

        Assert.NotNull(decoded);
        Assert.Equal(ManifestRecord.InlineFormat, decoded.Format);
        Assert.Equal(Canonical(record), Canonical(decoded.Object!));
        Assert.True(_codec.Authenticates(payload));
        Assert.Equal(bytes, ManifestCodec.InlineBytes(payload)!.Value.ToArray());
    }

    [Fact]
    public void InlineBytes_RecordWithoutThem_IsNull()
    {
        var payload = _codec.Encode(new ManifestRecord { Kind = ManifestRecord.ObjectKind, Id = "id", WrittenTicks = 1, Object = FullRecord() });
        Assert.Null(ManifestCodec.InlineBytes(payload));
        Assert.Equal(ManifestRecord.CurrentFormat, _codec.TryDecode(payload)!.Format);
    }

    [Fact]
    public void Authenticates_AnInlineByteChanged_IsFalse()
    {
        var bytes = RandomNumberGenerator.GetBytes(4112);
        var payload = _codec.Encode(new ManifestRecord { Kind = ManifestRecord.ObjectKind, Id = "id", WrittenTicks = 1, Object = InlineRecord(bytes.Length) }, bytes);
        payload[^100] ^= 0x20;

        Assert.False(_codec.Authenticates(payload));
        Assert.Null(_codec.TryDecode(payload));
    }

    [Fact]
    public void TryDecode_Format2LabelWithoutInlineBytes_IsRefused()
    {
        // A record may not claim the inline format without carrying bytes (nor carry bytes under format 1).
        var payload = _codec.Encode(new ManifestRecord { Format = ManifestRecord.InlineFormat, Kind = ManifestRecord.ObjectKind, Id = "id", WrittenTicks = 1, Object = FullRecord() });
        Assert.Null(_codec.TryDecode(payload));
    }

    [Fact]
    public void TryDecode_UnknownFormat_IsRefused()
    {
        var payload = _codec.Encode(new ManifestRecord { Format = 99, Kind = ManifestRecord.ObjectKind, Id = "id", WrittenTicks = 1, Object = FullRecord() });
        Assert.Null(_codec.TryDecode(payload));
    }
}
