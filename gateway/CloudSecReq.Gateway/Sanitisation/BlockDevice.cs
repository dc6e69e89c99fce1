using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// A block device as Linux reports it (<c>/proc/self/mountinfo</c>, <c>/sys/class/block/NAME</c>): which
/// one backs a mount point, its identity (model, serial, size; a loop device's backing file), and the
/// system calls a raw wipe needs (unmount, exclusive open, dropping cached pages).
/// </summary>
internal sealed partial record BlockDevice(string DevicePath, string Name, string MajorMinor, long SizeBytes, string? Model, string? Serial, string? BackingFile, string? FileSystem)
{
    private const int ORdWr = 0x2, OExcl = 0x80, OCloexec = 0x80000;
    private const int PosixFadvDontNeed = 4;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(SafeFileHandle fd, long offset, long length, int advice);

    /// <summary>One line of /proc/self/mountinfo: what is mounted where.</summary>
    internal sealed record Mount(string MajorMinor, string Root, string MountPoint, string FileSystem, string Source);

    /// <summary>The mounts of this process's mount namespace.</summary>
    public static IReadOnlyList<Mount> Mounts() =>
        File.ReadAllLines("/proc/self/mountinfo").Select(line =>
        {
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            return new Mount(fields[2], Unescape(fields[3]), Unescape(fields[4]), fields[dash + 1], Unescape(fields[dash + 2]));
        }).ToList();

    // mountinfo escapes space, tab, newline and backslash as octal.
    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);

    /// <summary>
    /// The block device mounted with its root at <paramref name="mountPoint"/> (the volume is the whole
    /// file system on it), or null when <paramref name="mountPoint"/> is no such mount point, or what is
    /// mounted there is not a block device (tmpfs, overlay, a bind mount of a sub-directory).
    /// </summary>
    public static BlockDevice? MountedAt(string mountPoint)
    {
        var mount = Mounts().LastOrDefault(m => m.MountPoint == mountPoint);
        if (mount is null || mount.Root != "/" || !Directory.Exists($"/sys/dev/block/{mount.MajorMinor}"))
        {
            return null;
        }
        return FromMajorMinor(mount.MajorMinor, mount.FileSystem);
    }

    /// <summary>The block device at <paramref name="devicePath"/> (/dev/NAME), or null when it is not one.</summary>
    public static BlockDevice? AtPath(string devicePath)
    {
        var name = Path.GetFileName(new FileInfo(devicePath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? devicePath);
        var dev = $"/sys/class/block/{name}/dev";
        return File.Exists(dev) ? FromMajorMinor(File.ReadAllText(dev).Trim(), null) : null;
    }

    private static BlockDevice FromMajorMinor(string majorMinor, string? fileSystem)
    {
        var sys = new DirectoryInfo($"/sys/dev/block/{majorMinor}").ResolveLinkTarget(returnFinalTarget: true)?.FullName
            ?? $"/sys/dev/block/{majorMinor}";
        var name = Path.GetFileName(sys);
        string? Read(string relative)
        {
            var path = Path.Combine(sys, relative);
            try
            {
                return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } text ? text : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        // size is in 512-byte sectors whatever the device's logical block size.
        var sectors = long.Parse(Read("size") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        return new BlockDevice("/dev/" + name, name, majorMinor, sectors * 512, Read("device/model"),
            Read("device/serial") ?? Read("serial") ?? Read("device/wwid") ?? Read("wwid"), Read("loop/backing_file"), fileSystem);
    }

    /// <summary>Unmounts <paramref name="mountPoint"/>; throws <see cref="IOException"/> with the errno when the kernel refuses.</summary>
    public static void Unmount(string mountPoint)
    {
        if (Umount2(mountPoint, 0) != 0)
        {
            throw new IOException($"Could not unmount {mountPoint} (errno {Marshal.GetLastPInvokeError()}): is something still using it?");
        }
    }

    /// <summary>
    /// Opens the device for reading and writing with O_EXCL, which Linux refuses while the device is
    /// mounted or otherwise claimed (a partition in use, a device-mapper target).
    /// </summary>
    /// <exception cref="IOException">The device is in use or cannot be opened.</exception>
    public SafeFileHandle OpenExclusive()
    {
        var fd = Open(DevicePath, ORdWr | OExcl | OCloexec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(errno == 16
                ? $"{DevicePath} is busy (mounted, or held by another user such as a partition or device mapper): refusing to wipe it."
                : $"Could not open {DevicePath} for writing (errno {errno}).");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Drops the cached pages of <paramref name="handle"/> (flushed first), so that the next read comes from the device.</summary>
    public static void DropCache(SafeFileHandle handle)
    {
        RandomAccess.FlushToDisk(handle);
        _ = PosixFadvise(handle, 0, 0, PosixFadvDontNeed);
    }
}
