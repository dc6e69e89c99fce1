using CloudSecReq.Gateway.Checksums;
using CloudSecReq.Gateway.Objects;

namespace CloudSecReq.Gateway.S3;

/// <summary>A request's body as a write's source: decoded, measured and hashed by <see cref="BodyIngest"/> on its way to the sink.</summary>
/// <param name="maxBytes">The largest body allowed (EntityTooLarge beyond it).</param>
/// <param name="alwaysCompute">A checksum to compute even when the client sends none (multipart uploads that declared one).</param>
internal sealed class RequestBody(S3Request req, long maxBytes, ChecksumAlgorithm? alwaysCompute = null) : IObjectBodySource
{
    public long? DeclaredBytes { get; } = BodyIngest.DeclaredLength(req);

    public Task<IngestResult> CopyToAsync(Stream sink, CancellationToken ct) => BodyIngest.CopyToAsync(req, sink, maxBytes, alwaysCompute, ct);
}
