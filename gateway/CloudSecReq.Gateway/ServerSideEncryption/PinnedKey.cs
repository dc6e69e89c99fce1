using System.Security.Cryptography;

namespace CloudSecReq.Gateway.ServerSideEncryption;

/// <summary>
/// Key bytes in pinned memory (the GC never copies them) that are zeroed on <see cref="Dispose"/>.
/// Every unwrapped key of the S3 path (bucket keys, data keys, SSE-C keys) lives in one of these.
/// </summary>
internal sealed class PinnedKey : IDisposable
{
    private readonly byte[] _bytes;
    private bool _disposed;

    private PinnedKey(int length) => _bytes = GC.AllocateArray<byte>(length, pinned: true);

    public static PinnedKey Copy(ReadOnlySpan<byte> source)
    {
        var key = new PinnedKey(source.Length);
        source.CopyTo(key._bytes);
        return key;
    }

    /// <summary>Takes the bytes of <paramref name="source"/> and zeroes it.</summary>
    public static PinnedKey Take(byte[] source)
    {
        var key = Copy(source);
        CryptographicOperations.ZeroMemory(source);
        return key;
    }

    public static PinnedKey Random(int length)
    {
        var key = new PinnedKey(length);
        RandomNumberGenerator.Fill(key._bytes);
        return key;
    }

    public ReadOnlySpan<byte> Bytes => _disposed ? throw new ObjectDisposedException(nameof(PinnedKey)) : _bytes;

    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_bytes);
            _disposed = true;
        }
    }
}
