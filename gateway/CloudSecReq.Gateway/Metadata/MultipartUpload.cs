namespace CloudSecReq.Gateway.Metadata;

/// <summary>An in-progress multipart upload and what the finished object will carry.</summary>
internal sealed record MultipartUpload
{
    public required string UploadId { get; init; }
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required DateTimeOffset Initiated { get; init; }
    public required string InitiatorTenantId { get; init; }
    public required string InitiatorUser { get; init; }
    public ObjectHeaders Headers { get; init; } = new();
    public IReadOnlyDictionary<string, string> UserMetadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = [];
    public string? ChecksumAlgorithm { get; init; }
    public string StorageClass { get; init; } = "STANDARD";
    /// <summary>Chosen at creation; every part is sealed under this upload's data key.</summary>
    public ObjectEncryption? Encryption { get; init; }
}
