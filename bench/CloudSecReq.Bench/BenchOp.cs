namespace CloudSecReq.Bench;

/// <summary>What a run measures.</summary>
internal enum BenchOp
{
    /// <summary>PutObject only.</summary>
    Put,
    /// <summary>Untimed fill, then GetObject over the filled keys.</summary>
    Get,
    /// <summary>A timed PutObject phase, then a timed GetObject phase over the same keys.</summary>
    PutGet,
    /// <summary>Each worker alternates PutObject and GetObject of the key it just wrote.</summary>
    Mixed,
}
