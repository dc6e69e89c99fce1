using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Manifests;

/// <summary>
/// One record the gateway writes to the volumes' manifest logs (docs/manifest-log.md, "What the
/// gateway writes"): an object's manifest (<see cref="Object"/>: the whole <see cref="ObjectRecord"/>,
/// wrapped data key as stored, never a plaintext key) or a catalog snapshot (<see cref="Catalog"/>).
/// Encoded by <see cref="ManifestCodec"/>.
/// </summary>
internal sealed record ManifestRecord
{
    /// <summary>A record without inline bytes.</summary>
    public const int CurrentFormat = 1;
    /// <summary>A record whose payload carries the object's sealed bytes after the JSON (<see cref="ManifestCodec"/>).</summary>
    public const int InlineFormat = 2;
    public const string ObjectKind = "object";
    public const string CatalogKind = "catalog";

    /// <summary>Format version; a reader skips records of a format it does not know.</summary>
    public int Format { get; init; } = CurrentFormat;
    /// <summary><see cref="ObjectKind"/> or <see cref="CatalogKind"/>.</summary>
    public required string Kind { get; init; }
    /// <summary>Random, shared by every copy of one write: a rebuild gathers the copies by it.</summary>
    public required string Id { get; init; }
    /// <summary>When the record was written, UTC ticks: orders manifests of one object with equal <c>LastModified</c>.</summary>
    public required long WrittenTicks { get; init; }
    /// <summary>The object (its <see cref="ObjectRecord.Manifests"/> empty: a copy cannot name itself).</summary>
    public ObjectRecord? Object { get; init; }
    public CatalogSnapshot? Catalog { get; init; }
}
