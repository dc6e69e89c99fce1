using System.Globalization;
using CloudSecReq.Gateway.Metadata;

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

    /// <summary>
    /// The bytes of part <paramref name="partNumber"/> (from 1) of <paramref name="record"/>; an object
    /// not completed from parts has one part, itself. Throws <see cref="ObjectFailure.InvalidPart"/>
    /// when there is no such part.
    /// </summary>
    public static ByteRange OfPart(ObjectRecord record, int partNumber)
    {
        if (record.PartsCount == 0 ? partNumber != 1 : partNumber > record.PartSizes.Count)
        {
            throw new ObjectException(ObjectFailure.InvalidPart, "The requested partnumber is not satisfiable");
        }
        return record.PartsCount == 0
            ? new ByteRange(0, record.Size)
            : new ByteRange(record.PartSizes.Take(partNumber - 1).Sum(), record.PartSizes[partNumber - 1]);
    }

    private static ObjectException Unsatisfiable(long size) =>
        new ObjectException(ObjectFailure.RangeNotSatisfiable).With("RangeRequested", "").With("ActualObjectSize", size.ToString(CultureInfo.InvariantCulture));
}
