using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// The bytes one wipe pass writes at each offset: zeros, or AES-256-CTR keystream under a fresh random
/// key that lives only in this object's memory (the generator of SP 800-90A's CTR_DRBG without
/// reseeding). A keystream rather than a random buffer so that verification can regenerate the
/// expected bytes of any range (a full read-back or a random sample) without storing them; the key is
/// never written anywhere and is zeroed on <see cref="Dispose"/>. Not thread-safe.
/// </summary>
internal sealed class WipePattern : IDisposable
{
    private const int BlockBytes = 16;
    private readonly Aes? _aes;
    private byte[] _counters = [];

    public WipePattern(WipeMethod method)
    {
        Method = method;
        if (method == WipeMethod.Random)
        {
            _aes = Aes.Create();
            _aes.KeySize = 256;
            _aes.GenerateKey();
        }
    }

    public WipeMethod Method { get; }

    /// <summary>Writes the pattern's bytes for [<paramref name="offset"/>, offset + length) into <paramref name="buffer"/>.</summary>
    public void Fill(Span<byte> buffer, long offset)
    {
        if (_aes is null)
        {
            buffer.Clear();
            return;
        }
        var first = offset / BlockBytes;
        var skip = (int)(offset % BlockBytes);
        var blocks = (skip + buffer.Length + BlockBytes - 1) / BlockBytes;
        if (_counters.Length < blocks * BlockBytes)
        {
            _counters = new byte[blocks * BlockBytes];
        }
        var counters = _counters.AsSpan(0, blocks * BlockBytes);
        for (var i = 0; i < blocks; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(counters.Slice(i * BlockBytes, 8), 0);
            BinaryPrimitives.WriteInt64BigEndian(counters.Slice(i * BlockBytes + 8, 8), first + i);
        }
        _aes.EncryptEcb(counters, counters, PaddingMode.None);
        counters.Slice(skip, buffer.Length).CopyTo(buffer);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_counters);
        _aes?.Dispose();
    }
}
