namespace CloudSecReq.Gateway.Metadata;

/// <summary>One stored file: a shard of a segment (erasure format, docs/erasure-format.md) on one volume.</summary>
internal sealed record ShardBlob(string VolumeId, string BlobId);
