using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace CloudSecReq.Gateway.Storage.Overwrite;

/// <summary>
/// Overwrites a released file in place before unlinking it (P2 6.2.2.6.1 b, e, f): open, one pass
/// of fresh random bytes over its whole length, fsync, unlink, fsync the directory.
/// Random rather than zeros: the bytes are AES-GCM ciphertext already, so the pass adds no secrecy
/// either way, but zero blocks are what compressing or deduplicating layers (SSD controllers, thin
/// pools, VDO, compressed file systems) store as nothing, leaving the old physical block in place;
/// incompressible bytes force a real write of every block. The crypto-shred (destroying the tenant
/// key in the HSM) remains the primary guarantee; docs/security.md "Residual data" says what this
/// pass does and does not reach.
/// </summary>
internal static class FileOverwriter
{
    private const int ChunkBytes = 1024 * 1024;
    // errno EWOULDBLOCK (EAGAIN) on Linux: .NET reports a conflicting flock this way.
    private const int EWouldBlock = 11;

    /// <summary>
    /// Overwrites and unlinks <paramref name="path"/>. The file is opened with <see cref="FileShare.None"/>,
    /// which on Unix takes an exclusive advisory lock; readers (<c>Shards/BlobStore.TryOpenRead</c>) hold a
    /// shared one, so a blob still being streamed to a client is left alone (<see cref="OverwriteOutcome.InUse"/>)
    /// and retried later instead of being garbled under the reader. The file is unlinked while the
    /// lock is held, so nobody can open it between the overwrite and the unlink.
    /// Throws <see cref="IOException"/> on other I/O failures (the caller keeps the file queued).
    /// </summary>
    public static async Task<OverwriteOutcome> OverwriteAndDeleteAsync(string path, OverwriteThrottle throttle, CancellationToken ct)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return OverwriteOutcome.AlreadyGone;
        }
        catch (IOException e) when (e.HResult == EWouldBlock)
        {
            return OverwriteOutcome.InUse;
        }
        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(length, 1)));
            try
            {
                // Exactly the file's length: never extend it, so every write lands on blocks the file
                // already owns (on ext4 and other update-in-place file systems, the old blocks).
                for (long offset = 0; offset < length;)
                {
                    var n = (int)Math.Min(buffer.Length, length - offset);
                    await throttle.WaitAsync(n, ct);
                    RandomNumberGenerator.Fill(buffer.AsSpan(0, n));
                    RandomAccess.Write(handle, buffer.AsSpan(0, n), offset);
                    offset += n;
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(buffer);
                ArrayPool<byte>.Shared.Return(buffer);
            }
            RandomAccess.FlushToDisk(handle);
            File.Delete(path);
        }
        Fsync.Directory(Path.GetDirectoryName(path)!);
        return OverwriteOutcome.Overwritten;
    }

    /// <summary>Blocking form for the start-up sweep, unthrottled.</summary>
    public static OverwriteOutcome OverwriteAndDelete(string path) =>
        OverwriteAndDeleteAsync(path, OverwriteThrottle.Unlimited, CancellationToken.None).GetAwaiter().GetResult();
}
