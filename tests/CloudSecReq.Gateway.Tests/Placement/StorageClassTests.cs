using System.Text.Json;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Placement;
using CloudSecReq.Gateway.Tests.Integration;

namespace CloudSecReq.Gateway.Tests.Placement;

public sealed class StorageClassTests
{
    [Fact]
    public void Defaults_AreValidAndKeepOneRackLossSurvivable()
    {
        var defaults = StorageClass.Defaults();

        Assert.Equal([StorageClass.Standard, StorageClass.ReducedRedundancy, StorageClass.Wide], defaults.Select(c => c.Name));
        Assert.All(defaults, c => Assert.Null(c.Problem()));
        Assert.Equal((4, 2, 3), (defaults[0].DataShards, defaults[0].ParityShards, defaults[0].MinimumRacks));
        Assert.Equal((1, 1, 2), (defaults[1].DataShards, defaults[1].ParityShards, defaults[1].MinimumRacks));
        Assert.Equal((8, 4, 4), (defaults[2].DataShards, defaults[2].ParityShards, defaults[2].MinimumRacks));
    }

    [Theory]
    [InlineData("standard", 4, 2, 3)]
    [InlineData("STANDARD", 0, 2, 1)]
    [InlineData("STANDARD", 4, 0, 1)]
    [InlineData("STANDARD", 200, 57, 3)]
    [InlineData("STANDARD", 4, 2, 7)]
    [InlineData("STANDARD", 4, 2, 0)]
    public void Problem_InvalidClass_Named(string name, int k, int m, int racks) => Assert.NotNull(new StorageClass(name, k, m, racks).Problem());

    [Fact]
    public void GatewayConfig_NewAndOldFiles_CarryTheDefaultClasses()
    {
        using var scratch = new ScratchDirectory();
        var created = GatewayConfig.LoadOrCreate(scratch.Path);
        var reread = GatewayConfig.LoadOrCreate(scratch.Path);
        // A csr.json written before storage classes existed.
        File.WriteAllText(scratch["old.json"], """{"Region":"us-east-1","Volumes":[]}""");
        var old = JsonSerializer.Deserialize<GatewayConfig>(File.ReadAllText(scratch["old.json"]))!;

        foreach (var config in new[] { created, reread, old })
        {
            Assert.Equal(StorageClass.Defaults(), config.StorageClasses, (a, b) => a.Name == b.Name && a.TotalShards == b.TotalShards && a.MinimumRacks == b.MinimumRacks);
            Assert.Equal(StorageClass.Standard, config.DefaultStorageClass);
            Assert.False(config.AllowDegradedWrites);
            Assert.Empty(config.TenantStorageClasses);
        }
        Assert.Contains("\"StorageClasses\"", File.ReadAllText(scratch[GatewayConfig.FileName]));
    }

    [Fact]
    public void GatewayConfig_EditedClasses_ReadBack()
    {
        using var scratch = new ScratchDirectory();
        GatewayConfig.LoadOrCreate(scratch.Path).With(c => c with
        {
            StorageClasses = [new("GOLD", 6, 3, 3, ["site1", "site2"])],
            DefaultStorageClass = "GOLD",
            TenantStorageClasses = new() { ["acme"] = ["GOLD"] },
            AllowDegradedWrites = true,
        }).Save(scratch.Path);

        var config = GatewayConfig.LoadOrCreate(scratch.Path);
        var catalog = config.CreateStorageClassCatalog();

        Assert.True(config.AllowDegradedWrites);
        Assert.Equal("GOLD", catalog.Default.Name);
        Assert.Equal(["site1", "site2"], catalog.Default.AllowedSites!);
    }

    [Fact]
    public void TryResolve_NamesAndTenantRestrictions()
    {
        var catalog = new StorageClassCatalog(StorageClass.Defaults(), StorageClass.Standard,
            new Dictionary<string, List<string>> { ["cheap"] = [StorageClass.ReducedRedundancy] });

        Assert.True(catalog.TryResolve(null, "anyone", out var byDefault, out _));
        Assert.Equal(StorageClass.Standard, byDefault.Name);
        Assert.True(catalog.TryResolve(StorageClass.Wide, "anyone", out var wide, out _));
        Assert.Equal(12, wide.TotalShards);
        Assert.False(catalog.TryResolve("GLACIER", "anyone", out _, out var unknown));
        Assert.Equal(StorageClassRefusal.Unknown, unknown);
        // A restricted tenant gets its first allowed class by default and nothing else.
        Assert.True(catalog.TryResolve("", "cheap", out var cheapDefault, out _));
        Assert.Equal(StorageClass.ReducedRedundancy, cheapDefault.Name);
        Assert.False(catalog.TryResolve(StorageClass.Standard, "cheap", out _, out var notAllowed));
        Assert.Equal(StorageClassRefusal.NotAllowedForTenant, notAllowed);
    }

    [Fact]
    public void Catalog_Misconfigured_ThrowsWithTheReason()
    {
        var defaults = StorageClass.Defaults();
        Assert.Contains("not defined", Assert.Throws<InvalidOperationException>(() => new StorageClassCatalog(defaults, "GOLD")).Message);
        Assert.Contains("defined twice", Assert.Throws<InvalidOperationException>(() => new StorageClassCatalog([.. defaults, defaults[0]], StorageClass.Standard)).Message);
        Assert.Contains("at least 1", Assert.Throws<InvalidOperationException>(() => new StorageClassCatalog([new("X", 1, 0, 1)], "X")).Message);
        Assert.Contains("'GOLD', which is not defined", Assert.Throws<InvalidOperationException>(() =>
            new StorageClassCatalog(defaults, StorageClass.Standard, new Dictionary<string, List<string>> { ["t"] = ["GOLD"] })).Message);
    }
}
