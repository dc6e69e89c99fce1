namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// One durable copy of an object's manifest (docs/manifest-log.md, "What the gateway writes"): a
/// record in the manifest log of volume <see cref="VolumeId"/> at <see cref="Extent"/>.
/// </summary>
internal sealed record ManifestCopy(string VolumeId, LogExtent Extent);
