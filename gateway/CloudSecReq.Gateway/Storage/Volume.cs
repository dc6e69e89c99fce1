namespace CloudSecReq.Gateway.Storage;

/// <summary>
/// One volume: a directory holding blobs under <c>blobs/xx/</c>, temporary files under <c>tmp/</c>
/// (writes in progress, and released files waiting to be overwritten) and its identity file.
/// Opening checks the identity
/// (<see cref="VolumeIdentity.Check"/>): a volume whose identity is missing (while it holds blobs),
/// unsigned, tampered with, or names another volume or other labels is fenced (<see cref="FencedReason"/>):
/// opened, listed and reported, but never read or written (<see cref="BlobStore"/> leaves it out)
/// until an operator re-admits it (<see cref="Readmit"/>), so that a swapped disk is never used by mistake.
/// </summary>
internal sealed class Volume
{
    public const string IdentityFileName = VolumeIdentity.FileName;

    private Volume(VolumeConfig config, string? fencedReason)
    {
        Config = config;
        FencedReason = fencedReason;
    }

    public VolumeConfig Config { get; }
    public string Id => Config.Id;
    public string TempDirectory => System.IO.Path.Combine(Config.Path, "tmp");
    public string BlobDirectory => System.IO.Path.Combine(Config.Path, "blobs");

    /// <summary>Why the volume is fenced (not to be read or written), or null when it is in use.</summary>
    public string? FencedReason { get; }

    public bool IsFenced => FencedReason is not null;

    /// <summary>
    /// Opens a volume, creating its layout and signed identity file on first use. An identity that
    /// does not check out fences the volume (see <see cref="FencedReason"/>) rather than throwing; a
    /// fenced volume is not modified.
    /// </summary>
    /// <param name="identityKey">The volume identity key (<see cref="VolumeIdentity.KeyBytes"/> bytes) that MACs identity files.</param>
    /// <param name="signUnsignedIdentity">Sign an unsigned identity that names this volume: only on the start that created the identity key (upgrade).</param>
    /// <exception cref="IOException">The volume's directory or identity cannot be written.</exception>
    public static Volume Open(VolumeConfig config, ReadOnlySpan<byte> identityKey, TimeProvider clock, bool signUnsignedIdentity = false)
    {
        Directory.CreateDirectory(config.Path);
        var fencedReason = VolumeIdentity.Check(config, identityKey, clock.GetUtcNow(), signUnsignedIdentity);
        var volume = new Volume(config, fencedReason);
        if (fencedReason is null)
        {
            Directory.CreateDirectory(volume.TempDirectory);
            Directory.CreateDirectory(volume.BlobDirectory);
        }
        return volume;
    }

    /// <summary>
    /// Re-admits a fenced volume after an operator has checked the disk: writes a new identity for
    /// <paramref name="config"/>'s id and labels with a fresh MAC, then opens it. The blobs on it
    /// are kept as they are.
    /// </summary>
    /// <exception cref="IOException">The identity cannot be written.</exception>
    public static Volume Readmit(VolumeConfig config, ReadOnlySpan<byte> identityKey, TimeProvider clock)
    {
        VolumeIdentity.Write(config.Path, VolumeIdentity.Create(config, clock.GetUtcNow(), identityKey));
        return Open(config, identityKey, clock);
    }

    public string BlobPath(string blobId) => System.IO.Path.Combine(BlobDirectory, blobId[..2], blobId);

    /// <summary>Bytes free on the filesystem that holds the volume.</summary>
    public long FreeBytes => new DriveInfo(Config.Path).AvailableFreeSpace;

    public long TotalBytes => new DriveInfo(Config.Path).TotalSize;

    /// <summary>
    /// Overwrites and deletes the files in <c>tmp/</c>: writes interrupted by a crash, and released
    /// blobs whose background overwrite had not run yet (<see cref="BlobStore.Delete"/>). Meant for
    /// start-up, before any write runs; unthrottled. Returns how many it removed.
    /// </summary>
    public int CleanTemporaryFiles()
    {
        var n = 0;
        foreach (var f in Directory.EnumerateFiles(TempDirectory))
        {
            if (FileOverwriter.OverwriteAndDelete(f) == OverwriteOutcome.Overwritten)
            {
                n++;
            }
        }
        return n;
    }
}
