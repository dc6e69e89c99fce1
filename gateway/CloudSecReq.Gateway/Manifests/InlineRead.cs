namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// What reading one manifest copy of an inline object gave (<see cref="InlineCopies.ReadAsync(Metadata.ManifestCopy, Metadata.ObjectRecord, bool, CancellationToken)"/>):
/// its sealed <see cref="Bytes"/>, or a <see cref="Problem"/> that is either transient (the volume
/// or its log cannot be reached now) or <see cref="IsDamaged"/> (the copy is gone or fails its checks).
/// </summary>
internal sealed record InlineRead(ReadOnlyMemory<byte>? Bytes, string? Problem, bool IsDamaged)
{
    public static InlineRead Unreachable(string problem) => new(null, problem, false);

    public static InlineRead Damaged(string problem) => new(null, problem, true);
}
