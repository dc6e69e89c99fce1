namespace CloudSecReq.Gateway.Metadata;

/// <summary>The metadata of a stored object: everything but its bytes, which live in <see cref="Segments"/>.</summary>
internal sealed record ObjectRecord
{
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required long Size { get; init; }
    /// <summary>The ETag with its quotes, as S3 sends it.</summary>
    public required string ETag { get; init; }
    public required DateTimeOffset LastModified { get; init; }
    public ObjectHeaders Headers { get; init; } = new();
    public IReadOnlyDictionary<string, string> UserMetadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = [];
    public ObjectChecksum? Checksum { get; init; }
    public required IReadOnlyList<DataSegment> Segments { get; init; }
    public string StorageClass { get; init; } = "STANDARD";
    /// <summary>Number of parts for an object made by a multipart upload; 0 for a single PUT.</summary>
    public int PartsCount { get; init; }
    /// <summary>Part sizes for multipart objects, so that <c>partNumber</c> GETs can find their bytes.</summary>
    public IReadOnlyList<long> PartSizes { get; init; } = [];
    /// <summary>How the object is encrypted; null only for objects of the benchmark build without encryption.</summary>
    public ObjectEncryption? Encryption { get; init; }
    /// <summary>
    /// Where the object's manifest copies lie (the object described on the volumes themselves, so that
    /// <c>csr metadata rebuild</c> can restore it); empty for objects written before manifests. Replaced
    /// or deleted objects' copies are overwritten in the background like their shards.
    /// </summary>
    public IReadOnlyList<ManifestCopy> Manifests { get; init; } = [];

    /// <summary>
    /// Whether the object's bytes are inline in its manifest copies (a small object: one
    /// <see cref="DataSegment.Inline"/> segment) rather than in shard files.
    /// </summary>
    public bool IsInline() => Segments is [{ Inline: true }];
}
