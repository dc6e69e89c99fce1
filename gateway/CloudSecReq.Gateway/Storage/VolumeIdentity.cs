namespace CloudSecReq.Gateway.Storage;

/// <summary>The identity file each volume carries (<c>.csr-volume</c>), so that a swapped or re-formatted disk is noticed.</summary>
internal sealed record VolumeIdentity(string VolumeId, string Site, string Rack, string Node, DateTimeOffset CreatedAt);
