namespace CloudSecReq.Gateway.Metadata;

/// <summary>The standard content headers stored with an object and returned on GET/HEAD.</summary>
internal sealed record ObjectHeaders
{
    public string? ContentType { get; init; }
    public string? ContentEncoding { get; init; }
    public string? ContentDisposition { get; init; }
    public string? ContentLanguage { get; init; }
    public string? CacheControl { get; init; }
    public string? Expires { get; init; }
}
