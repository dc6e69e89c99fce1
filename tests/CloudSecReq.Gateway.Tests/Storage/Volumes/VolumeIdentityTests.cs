using System.Security.Cryptography;
using System.Text.Json;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Shards;
using CloudSecReq.Gateway.Storage.Volumes;
using CloudSecReq.Gateway.Tests.Integration;

namespace CloudSecReq.Gateway.Tests.Storage.Volumes;

// The identity key is passed in directly: these tests open no KMS (one SoftHSM configuration per
// process, and the gateway fixture has it). DataDirectory's sealed key is covered by the last test.
[Collection(GatewayCollection.Name)]
public sealed class VolumeIdentityTests(GatewayFixture gateway) : IDisposable
{
    private readonly ScratchDirectory _scratch = new();
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(VolumeIdentity.KeyBytes);

    public void Dispose() => _scratch.Dispose();

    private VolumeConfig Config(string id, string rack = "rack1") => new(id, _scratch[id], "site1", rack, "node1");

    private Volume Open(VolumeConfig config, bool signUnsigned = false) => Volume.Open(config, _key, TimeProvider.System, signUnsigned);

    private string IdentityPath(string id) => Path.Combine(_scratch[id], Volume.IdentityFileName);

    private void PutBlob(string id)
    {
        Directory.CreateDirectory(Path.Combine(_scratch[id], "blobs", "ab"));
        File.WriteAllBytes(Path.Combine(_scratch[id], "blobs", "ab", "abcdef"), [1, 2, 3]);
    }

    [Fact]
    public void Open_NewVolume_WritesSignedIdentityAndIsOk()
    {
        var volume = Open(Config("v1"));
        var identity = JsonSerializer.Deserialize<VolumeIdentity>(File.ReadAllText(IdentityPath("v1")))!;

        Assert.False(volume.IsFenced);
        Assert.Null(volume.FencedReason);
        Assert.True(Directory.Exists(volume.BlobDirectory) && Directory.Exists(volume.TempDirectory));
        Assert.Equal(("v1", "site1", "rack1", "node1"), (identity.VolumeId, identity.Site, identity.Rack, identity.Node));
        Assert.True(identity.MacVerifies(_key));
        Assert.False(Open(Config("v1")).IsFenced);
    }

    [Fact]
    public void Open_IdentityCopiedFromAnotherVolume_Fenced()
    {
        Open(Config("v1"));
        Open(Config("v2", rack: "rack2"));
        PutBlob("v1");
        File.Copy(IdentityPath("v2"), IdentityPath("v1"), overwrite: true);
        var copied = File.ReadAllBytes(IdentityPath("v1"));

        var volume = Open(Config("v1"));

        Assert.True(volume.IsFenced);
        Assert.Contains("names volume 'v2'", volume.FencedReason);
        // A fenced volume is left exactly as it was.
        Assert.Equal(copied, File.ReadAllBytes(IdentityPath("v1")));
    }

    [Theory]
    [InlineData("mac")]
    [InlineData("rack")]
    [InlineData("created")]
    public void Open_TamperedIdentity_FencedMacDoesNotVerify(string field)
    {
        Open(Config("v1"));
        var identity = JsonSerializer.Deserialize<VolumeIdentity>(File.ReadAllText(IdentityPath("v1")))!;
        var mac = Convert.FromBase64String(identity.Mac!);
        mac[0] ^= 1;
        var tampered = field switch
        {
            "mac" => identity with { Mac = Convert.ToBase64String(mac) },
            "rack" => identity with { Rack = "rack9" },
            _ => identity with { CreatedAt = identity.CreatedAt.AddTicks(1) },
        };
        File.WriteAllText(IdentityPath("v1"), JsonSerializer.Serialize(tampered));

        var volume = Open(Config("v1"));

        Assert.True(volume.IsFenced);
        Assert.Contains("MAC does not verify", volume.FencedReason);
    }

    [Fact]
    public void Open_IdentityWrittenUnderAnotherKey_Fenced()
    {
        Volume.Open(Config("v1"), RandomNumberGenerator.GetBytes(VolumeIdentity.KeyBytes), TimeProvider.System);

        Assert.Contains("MAC does not verify", Open(Config("v1")).FencedReason);
    }

    [Fact]
    public void Open_IdentityMissingWithBlobsPresent_Fenced()
    {
        Open(Config("v1"));
        PutBlob("v1");
        File.Delete(IdentityPath("v1"));

        var volume = Open(Config("v1"));

        Assert.True(volume.IsFenced);
        Assert.Contains("missing but the volume holds blobs", volume.FencedReason);
        Assert.False(File.Exists(IdentityPath("v1")));
    }

    [Fact]
    public void Open_IdentityMissingOnEmptyVolume_NewIdentity()
    {
        Open(Config("v1"));
        File.Delete(IdentityPath("v1"));

        Assert.False(Open(Config("v1")).IsFenced);
        Assert.True(File.Exists(IdentityPath("v1")));
    }

    [Fact]
    public void Open_IdentityUnreadable_Fenced()
    {
        Directory.CreateDirectory(_scratch["v1"]);
        File.WriteAllText(IdentityPath("v1"), "not json");

        Assert.Contains("unreadable", Open(Config("v1")).FencedReason);
    }

    [Fact]
    public void Open_LabelsChangedInConfig_Fenced()
    {
        Open(Config("v1"));

        var volume = Open(Config("v1", rack: "rack2"));

        Assert.Contains("labels site1/rack1/node1 differ from csr.json's site1/rack2/node1", volume.FencedReason);
    }

    [Fact]
    public void Open_UnsignedIdentity_FencedUnlessUpgrading()
    {
        // As written before identities carried a MAC.
        Directory.CreateDirectory(_scratch["v1"]);
        Directory.CreateDirectory(_scratch["v2"]);
        File.WriteAllText(IdentityPath("v1"), """{"VolumeId":"v1","Site":"site1","Rack":"rack1","Node":"node1","CreatedAt":"2025-01-02T03:04:05+00:00"}""");
        File.WriteAllText(IdentityPath("v2"), """{"VolumeId":"v1","Site":"site1","Rack":"rack1","Node":"node1","CreatedAt":"2025-01-02T03:04:05+00:00"}""");

        Assert.Contains("carries no MAC", Open(Config("v1")).FencedReason);
        // The start that creates the identity key signs identities that name their own volume, and only those.
        Assert.False(Open(Config("v1"), signUnsigned: true).IsFenced);
        Assert.Contains("names volume 'v1'", Open(Config("v2"), signUnsigned: true).FencedReason);
        var upgraded = JsonSerializer.Deserialize<VolumeIdentity>(File.ReadAllText(IdentityPath("v1")))!;
        Assert.True(upgraded.MacVerifies(_key));
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), upgraded.CreatedAt);
        Assert.False(Open(Config("v1")).IsFenced);
    }

    [Fact]
    public void Readmit_FencedVolume_OkAndBlobsKept()
    {
        Open(Config("v1"));
        Open(Config("v2"));
        PutBlob("v1");
        File.Copy(IdentityPath("v2"), IdentityPath("v1"), overwrite: true);
        Assert.True(Open(Config("v1")).IsFenced);

        var readmitted = Volume.Readmit(Config("v1"), _key, TimeProvider.System);

        Assert.False(readmitted.IsFenced);
        Assert.False(Open(Config("v1")).IsFenced);
        Assert.True(File.Exists(Path.Combine(_scratch["v1"], "blobs", "ab", "abcdef")));
    }

    [Fact]
    public void BlobStore_FencedVolumes_LeftOut()
    {
        var ok = Open(Config("v1"));
        Open(Config("v2"));
        File.WriteAllText(IdentityPath("v2"), "{}");
        var fenced = Open(Config("v2"));

        var store = new BlobStore([ok, fenced], new CloudSecReq.Gateway.Placement.PlacementPlanner());

        Assert.True(store.HasVolume("v1"));
        Assert.False(store.HasVolume("v2"));
        Assert.Null(store.TryOpenRead(new ShardBlob("v2", "0123456789abcdef")));
    }

    [Fact]
    public void DataDirectory_VolumeIdentityKey_SealedPrivateAndVolumesOk()
    {
        var data = gateway.Host.Data;
        var sealedKey = File.ReadAllBytes(data.VolumeIdentityKeyPath);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(data.VolumeIdentityKeyPath));
        Assert.Equal("CSP\u0001"u8.ToArray(), sealedKey[..4]);
        Assert.True(sealedKey.Length > VolumeIdentity.KeyBytes + 28);
        Assert.NotEmpty(data.Volumes);
        Assert.All(data.Volumes, v => Assert.False(v.IsFenced));
        Assert.All(data.Volumes, v => Assert.NotNull(JsonSerializer.Deserialize<VolumeIdentity>(File.ReadAllText(Path.Combine(v.Config.Path, Volume.IdentityFileName)))!.Mac));
    }
}
