namespace CloudSecReq.Gateway.Storage.Garbage;

/// <summary>
/// What one pass of <see cref="GarbageCollector.CollectNowAsync"/> did: files overwritten and
/// unlinked; files left queued because a reader still had them open, because the disk failed, or
/// because their volume is not in use (fenced, or no longer configured). All of those are retried by
/// later passes. <see cref="ManifestsOverwritten"/> counts released manifest copies overwritten in
/// their volume's log (not files, so not in <see cref="Overwritten"/>).
/// </summary>
internal readonly record struct CollectionResult(int Overwritten, int InUse, int Failed, int Unreachable = 0, int ManifestsOverwritten = 0)
{
    /// <summary>Nothing is left that a pass could do now (unreachable blobs wait for their volume).</summary>
    public bool IsComplete => InUse == 0 && Failed == 0;
}
