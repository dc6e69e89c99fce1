using CloudSecReq.Gateway.Storage;

namespace CloudSecReq.Gateway.Placement;

/// <summary>A healthy volume as the planner sees it: where it stands and how much room it has.</summary>
internal sealed record PlacementVolume(string Id, string Site, string Rack, string Node, long FreeBytes)
{
    /// <summary>Racks are named within a site: rack1 at site1 and rack1 at site2 are different racks.</summary>
    public (string Site, string Rack) RackId => (Site, Rack);

    public (string Site, string Rack, string Node) NodeId => (Site, Rack, Node);

    /// <summary>A volume's labels and current free space (one filesystem query).</summary>
    public static PlacementVolume Of(Volume volume) =>
        new(volume.Id, volume.Config.Site, volume.Config.Rack, volume.Config.Node, volume.FreeBytes);
}
