using CloudSecReq.Gateway.Storage.Volumes;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Takes a rack's volumes out of a running gateway by moving their directories aside (to the
/// gateway this is a lost rack) and checks the volumes at once; puts them back on <see cref="Return"/>
/// or dispose. The shared test gateway keeps its disks.
/// </summary>
internal sealed class RackAway : IDisposable
{
    private readonly GatewayFixture _gateway;
    private readonly Dictionary<string, string> _away;

    public RackAway(GatewayFixture gateway, string rack)
    {
        _gateway = gateway;
        Volumes = gateway.Host.Data.Volumes.Where(v => v.Config.Rack == rack).ToList();
        _away = Volumes.ToDictionary(v => v.Id, v => v.Config.Path + ".away-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var v in Volumes)
        {
            Directory.Move(v.Config.Path, _away[v.Id]);
        }
        gateway.Host.VolumeMonitor.CheckNow();
    }

    public IReadOnlyList<Volume> Volumes { get; }

    /// <summary>Where a volume's directory is while it is away.</summary>
    public string PathWhileAway(string volumeId) => _away[volumeId];

    /// <summary>Puts every volume back and checks them at once (the gateway sees them return).</summary>
    public void Return()
    {
        foreach (var (id, path) in _away)
        {
            Directory.Move(path, _gateway.Host.Data.Volumes.Single(v => v.Id == id).Config.Path);
        }
        _away.Clear();
        _gateway.Host.VolumeMonitor.CheckNow();
    }

    public void Dispose() => Return();
}
