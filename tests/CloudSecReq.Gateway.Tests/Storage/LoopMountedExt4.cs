using CloudSecReq.Gateway.Tests.Integration;

namespace CloudSecReq.Gateway.Tests.Storage;

/// <summary>
/// A fresh ext4 file system in an image file, attached to a loop device and mounted under a temporary
/// directory: a real block device whose raw bytes a test can scan after unmounting. Needs root, a
/// free loop device and e2fsprogs (scripts/install-deps.sh test); without them
/// <see cref="CreateAsync"/> throws with what is missing, so the test fails rather than skips.
/// Dispose unmounts, detaches and deletes, whatever state it is in.
/// </summary>
internal sealed class LoopMountedExt4 : IAsyncDisposable
{
    private const string Needs = "The overwrite-on-release test needs root, a free loop device (`losetup -f`) and mkfs.ext4 (e2fsprogs: scripts/install-deps.sh test).";
    private readonly string _directory;
    private string? _device;
    private bool _mounted;

    private LoopMountedExt4(string directory)
    {
        _directory = directory;
        ImagePath = Path.Combine(directory, "ext4.img");
        MountPoint = Path.Combine(directory, "mnt");
    }

    public string ImagePath { get; }
    public string MountPoint { get; }

    /// <summary>The loop device (/dev/loopN) while attached.</summary>
    public string Device => _device ?? throw new InvalidOperationException("The image is not attached.");

    public static async Task<LoopMountedExt4> CreateAsync(long sizeBytes)
    {
        var disk = new LoopMountedExt4(Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "csr-loop-" + Guid.NewGuid().ToString("N")[..12])).FullName);
        try
        {
            Directory.CreateDirectory(disk.MountPoint);
            await using (var image = File.Create(disk.ImagePath))
            {
                image.SetLength(sizeBytes);
            }
            // nodiscard everywhere: a discard on a loop device punches holes in the image, which would
            // erase leftovers for us and make the control meaningless.
            await RunAsync("mkfs.ext4", "-q", "-F", "-E", "nodiscard", disk.ImagePath);
            disk._device = (await RunAsync("losetup", "--find", "--show", disk.ImagePath)).Trim();
            await RunAsync("mount", "-t", "ext4", "-o", "nodiscard,data=ordered", disk._device, disk.MountPoint);
            disk._mounted = true;
            return disk;
        }
        catch
        {
            await disk.DisposeAsync();
            throw;
        }
    }

    /// <summary>Unmounts and detaches, so that every write has reached the image file.</summary>
    public async Task UnmountAsync()
    {
        // Something else (csr volume wipe) may have unmounted it already.
        if (_mounted && !File.ReadAllLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == MountPoint))
        {
            _mounted = false;
        }
        if (_mounted)
        {
            // "target is busy" can be transient: a process another test forks at that moment holds the
            // descriptors it inherited until it execs.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await RunAsync("umount", MountPoint);
                    break;
                }
                catch (InvalidOperationException) when (attempt < 10)
                {
                    await Task.Delay(200);
                }
            }
            _mounted = false;
        }
        if (_device is not null)
        {
            await RunAsync("losetup", "-d", _device);
            _device = null;
        }
    }

    private static async Task<string> RunAsync(string program, params string[] args)
    {
        if (ExternalProcess.Which(program) is null)
        {
            throw new InvalidOperationException($"{program} is not installed. {Needs}");
        }
        var result = await ExternalProcess.RunAsync(program, args, timeout: TimeSpan.FromMinutes(1));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed. {Needs}\n{result}");
        }
        return result.Stdout;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await UnmountAsync();
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
