using System.Runtime.InteropServices;

namespace CloudSecReq.Gateway.Storage;

/// <summary>fsync of a directory, so that a rename into it is durable (.NET has no API for it).</summary>
internal static partial class Fsync
{
    private const int O_RDONLY = 0;
    private const int O_DIRECTORY = 0x10000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncFd(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    public static void Directory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fd = Open(path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {path} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }
        try
        {
            if (FsyncFd(fd) != 0)
            {
                throw new IOException($"fsync of directory {path} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd); // the fsync above has succeeded or thrown; a failed close changes nothing on disk
        }
    }
}
