using System.Globalization;

namespace CloudSecReq.Bench;

/// <summary>Parses and prints byte counts: <c>4096</c>, <c>4KiB</c>, <c>1MiB</c>, <c>2GiB</c>, <c>1MB</c> (10^6).</summary>
internal static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] s_suffixes =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("B", 1),
    ];

    public static long Parse(string text)
    {
        foreach (var (suffix, factor) in s_suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return checked(long.Parse(text[..^suffix.Length], NumberStyles.None, CultureInfo.InvariantCulture) * factor);
            }
        }
        return long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>Exact binary units when they divide evenly (64MiB), else bytes.</summary>
    public static string Format(long bytes)
    {
        foreach (var (suffix, factor) in new[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10) })
        {
            if (bytes >= factor && bytes % factor == 0)
            {
                return (bytes / factor).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }

    /// <summary>Rounded to MiB for memory figures.</summary>
    public static string Mebibytes(long bytes) => (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture) + " MiB";
}
