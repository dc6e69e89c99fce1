namespace CloudSecReq.Gateway.Metadata;

/// <summary>An object queued for healing: some of its shards are missing, corrupt or badly placed.</summary>
internal sealed record HealRequest(string Bucket, string Key, string Reason, DateTimeOffset QueuedAt);
