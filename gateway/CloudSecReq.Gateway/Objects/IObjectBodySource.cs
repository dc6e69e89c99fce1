namespace CloudSecReq.Gateway.Objects;

/// <summary>
/// Where a write's plaintext comes from (the request body, as decoded and hashed by the protocol).
/// The seam between the S3 protocol, which knows the body's framing and declared digests, and the
/// object pipeline, which only streams the bytes on.
/// </summary>
internal interface IObjectBodySource
{
    /// <summary>The declared plaintext length, when the request states one: it sizes placement and decides inline storage.</summary>
    long? DeclaredBytes { get; }

    /// <summary>
    /// Streams the whole body into <paramref name="sink"/> and returns its length and digests. Throws
    /// (before returning) when the body does not match what the client declared; the caller then
    /// drops what the sink received.
    /// </summary>
    Task<IngestResult> CopyToAsync(Stream sink, CancellationToken ct);
}
