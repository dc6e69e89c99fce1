using System.Runtime.InteropServices;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// Keeps everything under a data directory and its volumes private to the gateway's user: files 0600,
/// directories 0700 (issue 11). They hold secrets (the HSM token and PIN files, the TLS key, the env
/// file, sealed credentials in metadata.db) or tenant data (object names, metadata and ciphertext in
/// the databases, shard files and manifest logs), and SQLite, SoftHSM and the runtime create files with
/// the process umask (0644 under the usual 022).
/// </summary>
internal static partial class PrivateFiles
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.SetGroup | UnixFileMode.SetUser | UnixFileMode.StickyBit;

    /// <summary>Mode of a private directory (0700).</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    /// <summary>
    /// Sets the process umask to 077, so that every file and directory this process creates from now on
    /// (by SQLite, SoftHSM, .NET or our own code) gets no group or other bits. Process-wide and idempotent;
    /// called before a data directory is created or opened.
    /// </summary>
    public static void RestrictUmask()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Umask(0b000_111_111); // returns the previous mask, which is not restored
        }
    }

    /// <summary>
    /// Removes the group and other bits (and set-id, sticky) from each of <paramref name="roots"/> and, when
    /// <paramref name="recursive"/>, from everything under each root directory (symbolic links neither
    /// followed nor changed): 0644 becomes 0600, 0755 becomes 0700. Calls <paramref name="fixedPath"/> once
    /// per changed path with the path, its old mode and its new mode. Entries that vanish during the walk
    /// (temporary files) and roots that do not exist are skipped. Returns the number of paths changed.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">An entry belongs to another user and cannot be changed, or a directory cannot be read.</exception>
    public static int Enforce(IEnumerable<string> roots, bool recursive, Action<string, string, string> fixedPath)
    {
        var changed = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        foreach (var root in roots.Select(Path.GetFullPath).Distinct())
        {
            if (!Path.Exists(root))
            {
                continue;
            }
            var entries = recursive && Directory.Exists(root) ? Directory.EnumerateFileSystemEntries(root, "*", options) : [];
            foreach (var path in entries.Prepend(root))
            {
                try
                {
                    if (new FileInfo(path).LinkTarget is not null)
                    {
                        continue;
                    }
                    var mode = File.GetUnixFileMode(path);
                    if ((mode & GroupOrOther) == 0)
                    {
                        continue;
                    }
                    var tightened = mode & ~GroupOrOther;
                    File.SetUnixFileMode(path, tightened);
                    changed++;
                    fixedPath(path, Octal(mode), Octal(tightened));
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // Removed while we walked (a temporary file of a write, a released blob): nothing to protect.
                }
            }
        }
        return changed;
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode, 8).PadLeft(3, '0');
}
