using Microsoft.Win32.SafeHandles;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>
/// <c>DATA/serve.lock</c>, held with an exclusive advisory lock (flock) by the one process that may
/// write the data directory's volumes and logs: a running gateway, or <c>csr metadata rebuild</c>.
/// The kernel drops the lock when the process dies, so a crash leaves nothing to clean up. Admin
/// commands that only touch the database do not take it.
/// </summary>
internal static class ServeLock
{
    public const string FileName = "serve.lock";

    /// <summary>Takes the lock, or returns null when another process (or handle) holds it. Dispose the handle to release it.</summary>
    public static SafeFileHandle? TryAcquire(string dataDirectory)
    {
        try
        {
            // FileShare.None takes an exclusive flock on Unix, as ManifestLog's lock does.
            return File.OpenHandle(Path.Combine(dataDirectory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(Path.Combine(dataDirectory, FileName)))
        {
            return null;
        }
    }
}
