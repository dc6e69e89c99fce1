namespace CloudSecReq.Gateway.Manifests;

/// <summary>What <see cref="MetadataRebuild.RunAsync"/> read and restored.</summary>
internal sealed class RebuildSummary
{
    public int VolumesScanned { get; set; }
    /// <summary>Volumes not scanned: fenced, missing, or their log could not be opened.</summary>
    public List<string> VolumesNotScanned { get; } = [];
    /// <summary>Intact log records read.</summary>
    public long RecordsRead { get; set; }
    /// <summary>Intact records refused: MAC not verifying, not a manifest, or an unknown format.</summary>
    public long RecordsSkipped { get; set; }
    /// <summary>Records overwritten on release (deleted or replaced objects, superseded snapshots), passed over.</summary>
    public long RecordsReleased { get; set; }
    /// <summary>Damaged records and resynchronised gaps, passed over.</summary>
    public long RecordsCorrupt { get; set; }
    /// <summary>The restored catalog snapshot's generation; null when no volume held one.</summary>
    public long? CatalogGeneration { get; set; }
    public int Tenants { get; set; }
    public int Users { get; set; }
    public int AccessKeys { get; set; }
    public int Buckets { get; set; }
    public int ObjectsRestored { get; set; }
    /// <summary>Objects whose newest manifest could not be restored, with why.</summary>
    public List<(string Bucket, string Key, string Reason)> ObjectsSkipped { get; } = [];
    /// <summary>Older manifests of restored objects (a replace whose release had not run), queued for overwriting with their shards.</summary>
    public int SupersededQueued { get; set; }
}
