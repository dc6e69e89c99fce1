using CloudSecReq.Gateway.Storage.Overwrite;

namespace CloudSecReq.Gateway.Storage.Volumes;

/// <summary>
/// One volume: a directory holding blobs under <c>blobs/xx/</c>, temporary files under <c>tmp/</c>
/// (writes in progress, and released files waiting to be overwritten) and its identity file.
/// Opening checks the identity
/// (<see cref="VolumeIdentity.Check"/>): a volume whose identity is missing (while it holds blobs),
/// unsigned, tampered with, or names another volume or other labels is fenced (<see cref="FencedReason"/>):
/// opened, listed and reported, but never read or written (<c>Shards/BlobStore</c> leaves it out)
/// until an operator re-admits it (<see cref="Readmit"/>), so that a swapped disk is never used by mistake.
/// </summary>
internal sealed class Volume
{
    public const string IdentityFileName = VolumeIdentity.FileName;

    private volatile string? _fencedReason;
    private volatile string? _missingReason;
    private int _returns;

    private readonly TimeProvider _clock;

    private Volume(VolumeConfig config, string? fencedReason, TimeProvider clock)
    {
        Config = config;
        _fencedReason = fencedReason;
        _clock = clock;
    }

    public VolumeConfig Config { get; }
    public string Id => Config.Id;
    public string TempDirectory => System.IO.Path.Combine(Config.Path, "tmp");
    public string BlobDirectory => System.IO.Path.Combine(Config.Path, "blobs");

    /// <summary>Why the volume is fenced (not to be read or written), or null when it is not.</summary>
    public string? FencedReason => _fencedReason;

    public bool IsFenced => _fencedReason is not null;

    /// <summary>Why the volume cannot be used right now though it is not fenced (its directory or identity is gone, a write failed), or null.</summary>
    public string? MissingReason => _missingReason;

    /// <summary>Neither fenced nor missing: shards may be written to it and read from it.</summary>
    public bool IsUsable => _fencedReason is null && _missingReason is null;

    /// <summary>
    /// How often the volume has come back into use (a <see cref="Refresh"/> found it usable after it
    /// was not): state kept on the disk's behalf, such as an open log, belongs to one return and must
    /// be opened afresh after the next, since the disk may have been replaced in between.
    /// </summary>
    public int Returns => Volatile.Read(ref _returns);

    /// <summary>"ok", "fenced: ...", or "missing: ..." for listings.</summary>
    public string StateText => _fencedReason is { } f ? "fenced: " + f : _missingReason is { } m ? "missing: " + m : "ok";

    /// <summary>
    /// Re-checks a volume in use (the gateway's volume monitor, every few seconds) without creating
    /// anything a missing disk would need: a directory or identity that is gone makes the volume
    /// missing (so that the gateway never writes onto the mount point of an unmounted disk), an
    /// identity that no longer verifies fences it, and a valid identity (for example one an operator
    /// has just written with <c>csr volume readmit</c>) brings it back. Thread-safe; never throws.
    /// </summary>
    public void Refresh(ReadOnlySpan<byte> identityKey, TimeProvider clock)
    {
        try
        {
            if (!File.Exists(System.IO.Path.Combine(Config.Path, IdentityFileName)))
            {
                _missingReason = Directory.Exists(Config.Path) ? "the identity file is gone (run `csr volume readmit` once the disk is back)" : "the volume's directory is gone (disk removed or not mounted?)";
                return;
            }
            var fenced = VolumeIdentity.Check(Config, identityKey, clock.GetUtcNow(), signUnsigned: false);
            if (fenced is null)
            {
                Directory.CreateDirectory(TempDirectory);
                Directory.CreateDirectory(BlobDirectory);
            }
            // Counted before the volume shows as usable, so that whoever sees it usable sees this return.
            if (!IsUsable && fenced is null)
            {
                Interlocked.Increment(ref _returns);
            }
            _fencedReason = fenced;
            _missingReason = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _missingReason = "checking the volume failed: " + e.Message;
        }
    }

    /// <summary>Takes the volume out of use until the next <see cref="Refresh"/> (a write to it failed).</summary>
    public void MarkFailed(string reason) => _missingReason = reason;

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
        var volume = new Volume(config, fencedReason, clock);
        if (fencedReason is null)
        {
            Directory.CreateDirectory(volume.TempDirectory);
            Directory.CreateDirectory(volume.BlobDirectory);
        }
        return volume;
    }

    /// <summary>
    /// Opens a volume for inspection without creating anything a missing disk would need: a
    /// directory or identity file that is not there makes the volume missing (<see cref="MissingReason"/>)
    /// instead of being created, as <see cref="Refresh"/> does. Admin commands open volumes this way,
    /// so that they never initialise an empty mount point as a fresh volume. Never throws.
    /// </summary>
    public static Volume OpenExisting(VolumeConfig config, ReadOnlySpan<byte> identityKey, TimeProvider clock)
    {
        var volume = new Volume(config, null, clock);
        volume.Refresh(identityKey, clock);
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

    /// <summary>
    /// Bytes free on the filesystem that holds the volume, as measured at most a second ago: the
    /// placement planner asks for every write, and one filesystem query per volume and write is not
    /// worth a second's precision.
    /// </summary>
    public long FreeBytes
    {
        get
        {
            var now = _clock.GetTimestamp();
            var (bytes, at) = _freeBytes;
            if (at == 0 || _clock.GetElapsedTime(at, now) > TimeSpan.FromSeconds(1))
            {
                bytes = new DriveInfo(Config.Path).AvailableFreeSpace;
                _freeBytes = (bytes, now);
            }
            return bytes;
        }
    }

    private (long Bytes, long AtTimestamp) _freeBytes;

    public long TotalBytes => new DriveInfo(Config.Path).TotalSize;

    /// <summary>
    /// Overwrites and deletes the files in <c>tmp/</c>: writes interrupted by a crash, and released
    /// blobs whose background overwrite had not run yet (<c>Shards/BlobStore.Delete</c>). Meant for
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
