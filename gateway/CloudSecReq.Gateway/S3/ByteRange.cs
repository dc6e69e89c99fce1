using System.Globalization;

namespace CloudSecReq.Gateway.S3;

/// <summary>A satisfiable byte range of an object: first byte and length.</summary>
internal readonly record struct ByteRange(long Start, long Length)
{
    public long End => Start + Length - 1;

    /// <summary>
    /// Parses a single <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c> range against an object of
    /// <paramref name="size"/> bytes. Returns null when the header is absent or not a single byte range
    /// (then the whole object is sent, as HTTP says); throws InvalidRange when it cannot be satisfied.
    /// </summary>
    public static ByteRange? Parse(string? header, long size)
    {
        if (string.IsNullOrEmpty(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var spec = header[6..].Trim();
        if (spec.Contains(','))
        {
            return null;
        }
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return null;
        }
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
            {
                return null;
            }
            if (suffix == 0 || size == 0)
            {
                throw Unsatisfiable(size);
            }
            var n = Math.Min(suffix, size);
            return new ByteRange(size - n, n);
        }
        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }
        long end = size - 1;
        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                return null;
            }
        }
        if (start >= size)
        {
            throw Unsatisfiable(size);
        }
        end = Math.Min(end, size - 1);
        return new ByteRange(start, end - start + 1);
    }

    private static S3Exception Unsatisfiable(long size) =>
        new S3Exception(S3ErrorCode.InvalidRange).With("RangeRequested", "").With("ActualObjectSize", size.ToString(CultureInfo.InvariantCulture));
}
