namespace CloudSecReq.Gateway.Storage.RecordLog;

/// <summary>
/// What a <see cref="ManifestLog.ScanAsync(ManifestLogScanStats?, CancellationToken)"/> walked past,
/// for a scrubber to report. Filled in as the scan proceeds; not thread-safe (one scan per instance).
/// </summary>
internal sealed class ManifestLogScanStats
{
    /// <summary>Segment files scanned.</summary>
    public long Segments { get; set; }

    /// <summary>Intact records returned by the scan.</summary>
    public long Intact { get; set; }

    /// <summary>Records overwritten on release (<see cref="ManifestLog.OverwriteAsync(Metadata.LogExtent, CancellationToken)"/>): skipped, as expected.</summary>
    public long Released { get; set; }

    /// <summary>Records whose header checks out but whose payload does not: damaged, skipped.</summary>
    public long Corrupt { get; set; }

    /// <summary>Runs of bytes with no valid header (a damaged header, torn bytes) that the scan resynchronised over.</summary>
    public long Resyncs { get; set; }

    /// <summary>Bytes in those runs.</summary>
    public long SkippedBytes { get; set; }
}
