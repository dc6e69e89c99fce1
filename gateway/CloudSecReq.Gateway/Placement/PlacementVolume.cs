using CloudSecReq.Gateway.Storage.Volumes;

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

    /// <summary>A volume's labels without its free space (0, no filesystem query): for decisions that need no room, like manifest copies.</summary>
    public static PlacementVolume LabelsOf(Volume volume) =>
        new(volume.Id, volume.Config.Site, volume.Config.Rack, volume.Config.Node, 0);

    /// <summary>Like <see cref="Of"/>, but a failing filesystem query gives -1 free bytes (never eligible) instead of throwing.</summary>
    public static PlacementVolume OfOrNoRoom(Volume volume)
    {
        try
        {
            return Of(volume);
        }
        catch (IOException)
        {
            return LabelsOf(volume) with { FreeBytes = -1 };
        }
    }
}
