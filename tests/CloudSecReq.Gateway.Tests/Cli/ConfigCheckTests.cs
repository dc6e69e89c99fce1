using System.Text.Json.Nodes;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Tests.Integration;

namespace CloudSecReq.Gateway.Tests.Cli;

/// <summary><c>csr config check</c> on a csr.json as the gateway writes it, then with one key spoiled at a time.</summary>
public sealed class ConfigCheckTests : IDisposable
{
    private static readonly string s_csr = Path.Combine(AppContext.BaseDirectory, "csr.dll");
    private readonly string _data = Path.Combine(Path.GetTempPath(), "csr-config-" + Guid.NewGuid().ToString("N")[..10]);

    public ConfigCheckTests()
    {
        GatewayConfig.LoadOrCreate(_data);
        // The marker NotADataDirectory looks for; config check opens no KMS.
        File.WriteAllBytes(Path.Combine(_data, "kms.db"), []);
    }

    private void Edit(Action<JsonObject> change)
    {
        var path = Path.Combine(_data, GatewayConfig.FileName);
        var tree = (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
        change(tree);
        File.WriteAllText(path, tree.ToJsonString());
    }

    [Fact]
    public void Check_AsWritten_HasNoProblem() => Assert.Empty(GatewayConfigCheck.Check(_data));

    [Fact]
    public void Check_UnknownKey_IsAnErrorNamingIt()
    {
        Edit(t => t["WriteQourum"] = 1);
        Assert.Contains("WriteQourum", Assert.Single(GatewayConfigCheck.Check(_data)), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UnknownNestedKey_IsAnErrorNamingItsPath()
    {
        Edit(t => ((JsonObject)t["Volumes"]![0]!)["Sight"] = "x");
        var problem = Assert.Single(GatewayConfigCheck.Check(_data));
        Assert.Contains("Sight", problem, StringComparison.Ordinal);
        Assert.Contains("Volumes[0]", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_WrongType_IsAnErrorNamingTheKey()
    {
        Edit(t => t["WriteQuorum"] = "one");
        Assert.StartsWith("$.WriteQuorum:", Assert.Single(GatewayConfigCheck.Check(_data)), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_DuplicateVolumeId_IsAnError()
    {
        Edit(t => ((JsonArray)t["Volumes"]!).Add(((JsonArray)t["Volumes"]!)[0]!.DeepClone()));
        Assert.Contains("already configured", Assert.Single(GatewayConfigCheck.Check(_data)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CsrConfigCheck_BadFile_ExitsNonZeroWithTheKeyAndNoStackTrace()
    {
        var ok = await ExternalProcess.RunAsync("dotnet", [s_csr, "config", "check", "--data", _data]);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Edit(t => t["InlineObjectBytes"] = true);
        var bad = await ExternalProcess.RunAsync("dotnet", [s_csr, "config", "check", "--data", _data]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("$.InlineObjectBytes", bad.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", bad.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
