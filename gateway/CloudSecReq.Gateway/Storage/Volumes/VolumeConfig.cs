namespace CloudSecReq.Gateway.Storage.Volumes;

/// <summary>A volume as configured: a directory (a disk each in production) and where it stands.</summary>
internal sealed record VolumeConfig(string Id, string Path, string Site, string Rack, string Node);
