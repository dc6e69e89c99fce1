using System.Security.Cryptography;

namespace CloudSecReq.Gateway.Encryption;

/// <summary>Fresh random data keys and segment salts. Thread-safe.</summary>
internal static class DataKeys
{
    public const int DataKeyBytes = 32;

    /// <summary>
    /// A new random 256-bit data key in a pinned array (the GC never copies it). The caller owns it
    /// and zeroes it with <see cref="CryptographicOperations.ZeroMemory"/> when done.
    /// </summary>
    public static byte[] NewPinned()
    {
        var dataKey = GC.AllocateArray<byte>(DataKeyBytes, pinned: true);
        RandomNumberGenerator.Fill(dataKey);
        return dataKey;
    }

    /// <summary>A new random 16-byte segment salt (not secret; stored beside the segment).</summary>
    public static byte[] NewSalt() => RandomNumberGenerator.GetBytes(SealedFormat.SaltBytes);
}
