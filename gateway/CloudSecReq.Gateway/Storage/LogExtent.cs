namespace CloudSecReq.Gateway.Storage;

/// <summary>
/// Where one record of a <see cref="ManifestLog"/> lies: the segment file's name (<c>00000001.log</c>),
/// the byte offset of the record's header in it, and the payload's length. Returned by
/// <see cref="ManifestLog.AppendAsync"/> once the record is durable; stored in metadata as JSON.
/// </summary>
internal sealed record LogExtent(string Segment, long Offset, int Length);
