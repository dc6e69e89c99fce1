namespace CloudSecReq.Gateway.Metadata;

/// <summary>
/// Where one record of a volume's manifest log lies: the segment file's name (<c>00000001.log</c>),
/// the byte offset of the record's header in it, and the payload's length. Handed out by the log
/// (<c>Storage/RecordLog/ManifestLog.AppendAsync</c>) once the record is durable; stored in metadata
/// as JSON (<see cref="ManifestCopy"/>), which is why it lives here, as <see cref="ShardBlob"/> does.
/// </summary>
internal sealed record LogExtent(string Segment, long Offset, int Length);
