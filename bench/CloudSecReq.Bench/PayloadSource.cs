using System.Security.Cryptography;

namespace CloudSecReq.Bench;

/// <summary>
/// Object bodies, made before timing starts. Up to <see cref="MaxBufferedBytes"/> an object is a
/// read-only window on one shared random buffer (no copy per request; each sequence number starts
/// at a different offset so objects differ). Larger objects are <see cref="SyntheticStream"/>s that
/// generate their bytes while being read, so a 2 GiB upload does not hold 2 GiB. Thread-safe.
/// </summary>
internal sealed class PayloadSource
{
    public const long MaxBufferedBytes = 256L << 20;
    private const int Spread = 64 * 1024;
    private const int PatternBytes = (1 << 20) + 4099; // not a power of two, so objects do not repeat at block boundaries

    private readonly byte[] _data;
    private readonly bool _buffered;

    public PayloadSource(long sizeBytes)
    {
        SizeBytes = sizeBytes;
        _buffered = sizeBytes <= MaxBufferedBytes;
        _data = new byte[_buffered ? sizeBytes + Spread : PatternBytes];
        RandomNumberGenerator.Fill(_data);
    }

    public long SizeBytes { get; }

    /// <summary>Bytes this source holds in memory (the client's share of a self-host memory figure).</summary>
    public long HeldBytes => _data.Length;

    private long Start(long seq) => seq * 4099 % (_buffered ? Spread : PatternBytes);

    /// <summary>A new stream over object <paramref name="seq"/>'s body; the caller owns it.</summary>
    public Stream Open(long seq) => _buffered
        ? new MemoryStream(_data, (int)Start(seq), (int)SizeBytes, writable: false)
        : new SyntheticStream(_data, Start(seq), SizeBytes);

    /// <summary>True when <paramref name="actual"/>, read at <paramref name="position"/> of object <paramref name="seq"/>, is what was written.</summary>
    public bool Matches(long seq, long position, ReadOnlySpan<byte> actual)
    {
        if (position + actual.Length > SizeBytes)
        {
            return false;
        }
        if (_buffered)
        {
            return actual.SequenceEqual(_data.AsSpan((int)(Start(seq) + position), actual.Length));
        }
        var expected = new byte[actual.Length];
        SyntheticStream.Fill(_data, Start(seq) + position, expected);
        return actual.SequenceEqual(expected);
    }
}
