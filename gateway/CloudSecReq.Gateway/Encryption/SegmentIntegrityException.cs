namespace CloudSecReq.Gateway.Encryption;

/// <summary>
/// A package of a sealed segment failed verification: a wrong tag (flipped, swapped, reordered or
/// foreign data, wrong key), or a blob shorter or longer than its declared length. The message names
/// the part number and package index only, never key material or data.
/// </summary>
internal sealed class SegmentIntegrityException : Exception
{
    public SegmentIntegrityException(int partNumber, long packageIndex, string reason, Exception? inner = null)
        : base($"Sealed segment of part {partNumber}: package {packageIndex} failed verification ({reason}).", inner)
    {
        PartNumber = partNumber;
        PackageIndex = packageIndex;
    }

    public int PartNumber { get; }

    public long PackageIndex { get; }
}
