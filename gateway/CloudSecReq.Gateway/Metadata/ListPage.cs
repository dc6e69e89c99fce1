namespace CloudSecReq.Gateway.Metadata;

/// <summary>One page of a listing: the items and whether more follow.</summary>
internal sealed record ListPage<T>(IReadOnlyList<T> Items, bool IsTruncated);
