using System.Text.Json;

namespace CloudSecReq.Gateway.Storage;

/// <summary>
/// One volume: a directory holding blobs under <c>blobs/xx/</c>, temporary files under <c>tmp/</c>
/// and its identity file. Opening checks the identity: a volume whose identity file names another
/// volume is refused (fenced), so that a swapped disk is never written to by mistake.
/// </summary>
internal sealed class Volume
{
    public const string IdentityFileName = ".csr-volume";

    private Volume(VolumeConfig config) => Config = config;

    public VolumeConfig Config { get; }
    public string Id => Config.Id;
    public string TempDirectory => System.IO.Path.Combine(Config.Path, "tmp");
    public string BlobDirectory => System.IO.Path.Combine(Config.Path, "blobs");

    /// <summary>Opens a volume, creating its layout and identity file on first use.</summary>
    public static Volume Open(VolumeConfig config, TimeProvider clock)
    {
        Directory.CreateDirectory(config.Path);
        var identityPath = System.IO.Path.Combine(config.Path, IdentityFileName);
        if (File.Exists(identityPath))
        {
            var identity = JsonSerializer.Deserialize<VolumeIdentity>(File.ReadAllText(identityPath));
            if (identity is null || identity.VolumeId != config.Id)
            {
                throw new InvalidOperationException(
                    $"Volume {config.Id} at {config.Path} carries the identity of '{identity?.VolumeId}': the disk was swapped or re-formatted. It is fenced until an operator resolves it.");
            }
        }
        else
        {
            var identity = new VolumeIdentity(config.Id, config.Site, config.Rack, config.Node, clock.GetUtcNow());
            File.WriteAllText(identityPath, JsonSerializer.Serialize(identity));
        }
        var volume = new Volume(config);
        Directory.CreateDirectory(volume.TempDirectory);
        Directory.CreateDirectory(volume.BlobDirectory);
        return volume;
    }

    public string BlobPath(string blobId) => System.IO.Path.Combine(BlobDirectory, blobId[..2], blobId);

    /// <summary>Bytes free on the filesystem that holds the volume.</summary>
    public long FreeBytes => new DriveInfo(Config.Path).AvailableFreeSpace;

    public long TotalBytes => new DriveInfo(Config.Path).TotalSize;

    /// <summary>Deletes temporary files left by interrupted writes. Returns how many it removed.</summary>
    public int CleanTemporaryFiles()
    {
        var n = 0;
        foreach (var f in Directory.EnumerateFiles(TempDirectory))
        {
            File.Delete(f);
            n++;
        }
        return n;
    }
}
