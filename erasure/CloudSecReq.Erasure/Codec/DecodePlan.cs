using CloudSecReq.Erasure.Galois;
using CloudSecReq.Erasure.Kernels;

namespace CloudSecReq.Erasure.Codec;

/// Everything Reconstruct needs for one loss pattern, computed once and cached: which k shards
/// to read, and the (prepared) rows that turn them into the missing data and parity shards.
internal sealed class DecodePlan
{
    public DecodePlan(GfMatrix encoding, int dataShards, ReadOnlySpan<bool> present, GfKernel kernel)
    {
        var inputs = new List<int>(dataShards);
        var missingData = new List<int>();
        var missingParity = new List<int>();
        for (var i = 0; i < present.Length; i++)
        {
            if (present[i] && inputs.Count < dataShards)
            {
                inputs.Add(i);
            }
            else if (!present[i])
            {
                (i < dataShards ? missingData : missingParity).Add(i);
            }
        }
        Inputs = inputs.ToArray();
        MissingData = missingData.ToArray();
        MissingParity = missingParity.ToArray();

        // Rows of the inverse of the surviving rows rebuild the data shards they stand for.
        var inverse = encoding.SelectRows(Inputs).Invert()
            ?? throw new InvalidOperationException("Encoding submatrix is singular; the matrix is not MDS.");
        DataRaw = Flatten(inverse.SelectRows(MissingData));
        DataPrepared = kernel.Prepare(DataRaw);
        ParityRaw = Flatten(encoding.SelectRows(MissingParity));
        ParityPrepared = kernel.Prepare(ParityRaw);
    }

    /// The first k present shards, ascending: every present data shard is among them.
    public int[] Inputs { get; }

    public int[] MissingData { get; }

    public int[] MissingParity { get; }

    public byte[] DataRaw { get; }

    public byte[] DataPrepared { get; }

    public byte[] ParityRaw { get; }

    public byte[] ParityPrepared { get; }

    private static byte[] Flatten(GfMatrix matrix)
    {
        var cells = new byte[Math.Max(1, matrix.Rows * matrix.Columns)];
        for (var r = 0; r < matrix.Rows; r++)
        {
            matrix.Row(r).CopyTo(cells.AsSpan(r * matrix.Columns));
        }
        return cells;
    }
}
