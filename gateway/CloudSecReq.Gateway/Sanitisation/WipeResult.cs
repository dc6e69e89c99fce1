namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// What a wipe did. <see cref="BytesPerPass"/>: bytes overwritten by each pass (the device, or the
/// volume's files plus the free space filled). <see cref="Mismatches"/>: verified bytes that differ
/// from the last pass's pattern; the wipe passed verification when it is 0.
/// </summary>
internal sealed record WipeResult(
    string Scope,
    long BytesPerPass,
    long FilesOverwritten,
    long FileBytes,
    long FreeSpaceBytes,
    long BytesVerified,
    long Mismatches,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt)
{
    public const string BlockDeviceScope = "block-device";
    public const string FilesAndFreeSpaceScope = "files-and-free-space";

    public bool Verified => Mismatches == 0 && BytesVerified > 0;
}
