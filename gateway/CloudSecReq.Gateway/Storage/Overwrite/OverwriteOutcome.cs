namespace CloudSecReq.Gateway.Storage.Overwrite;

/// <summary>What became of a released file that was to be overwritten and unlinked.</summary>
internal enum OverwriteOutcome
{
    /// <summary>Overwritten end to end, flushed to disk, unlinked, directory flushed.</summary>
    Overwritten,
    /// <summary>The file was not there (already done by an earlier run): nothing to do.</summary>
    AlreadyGone,
    /// <summary>Someone still reads the file; it was left untouched, to be retried later.</summary>
    InUse,
}
