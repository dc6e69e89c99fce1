using System.Globalization;

namespace CloudSecReq.Gateway.Objects;

/// <summary>A satisfiable byte range of an object: first byte and length.</summary>
internal readonly record struct ByteRange(long Start, long Length)
{
    public long End => Start + Length - 1;

    /// <summary>
    /// Bytes <paramref name="first"/> to <paramref name="last"/> (null: to the end; past the end: cut
    /// there) of an object of <paramref name="size"/> bytes. Throws <see cref="ObjectFailure.RangeNotSatisfiable"/>
    /// when <paramref name="first"/> is at or past the end.
    /// </summary>
    public static ByteRange From(long first, long? last, long size)
    {
        if (first >= size)
        {
            throw Unsatisfiable(size);
        }
        var end = Math.Min(last ?? size - 1, size - 1);
        return new ByteRange(first, end - first + 1);
    }

    /// <summary>
    /// The last <paramref name="suffixBytes"/> bytes (all of them when the object is shorter). Throws
    /// <see cref="ObjectFailure.RangeNotSatisfiable"/> for a suffix of 0 bytes or an empty object.
    /// </summary>
    public static ByteRange Suffix(long suffixBytes, long size)
    {
        if (suffixBytes == 0 || size == 0)
        {
            throw Unsatisfiable(size);
        }
        var n = Math.Min(suffixBytes, size);
        return new ByteRange(size - n, n);
    }

    private static ObjectException Unsatisfiable(long size) =>
        new ObjectException(ObjectFailure.RangeNotSatisfiable).With("RangeRequested", "").With("ActualObjectSize", size.ToString(CultureInfo.InvariantCulture));
}
