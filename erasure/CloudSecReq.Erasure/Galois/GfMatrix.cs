namespace CloudSecReq.Erasure.Galois;

/// A dense row-major matrix over GF(2^8).
internal sealed class GfMatrix
{
    private readonly byte[] _cells;

    public GfMatrix(int rows, int columns)
    {
        Rows = rows;
        Columns = columns;
        _cells = new byte[rows * columns];
    }

    public int Rows { get; }

    public int Columns { get; }

    public byte this[int row, int column]
    {
        get => _cells[row * Columns + column];
        set => _cells[row * Columns + column] = value;
    }

    public ReadOnlySpan<byte> Row(int row) => _cells.AsSpan(row * Columns, Columns);

    public static GfMatrix Identity(int size)
    {
        var m = new GfMatrix(size, size);
        for (var i = 0; i < size; i++)
        {
            m[i, i] = 1;
        }
        return m;
    }

    /// The systematic encoding matrix [I; C] with C the Cauchy matrix c[i][j] = 1 / ((k + i) xor j),
    /// the construction of ISA-L's gf_gen_cauchy1_matrix. Every square submatrix of a Cauchy matrix
    /// is invertible, so every k x k submatrix of [I; C] is too (any k rows can rebuild the data).
    public static GfMatrix SystematicCauchy(int dataShards, int parityShards)
    {
        var m = new GfMatrix(dataShards + parityShards, dataShards);
        for (var i = 0; i < dataShards; i++)
        {
            m[i, i] = 1;
        }
        for (var i = dataShards; i < dataShards + parityShards; i++)
        {
            for (var j = 0; j < dataShards; j++)
            {
                m[i, j] = GaloisField.Inverse((byte)(i ^ j));
            }
        }
        return m;
    }

    public GfMatrix SelectRows(ReadOnlySpan<int> rows)
    {
        var m = new GfMatrix(rows.Length, Columns);
        for (var r = 0; r < rows.Length; r++)
        {
            Row(rows[r]).CopyTo(m._cells.AsSpan(r * Columns, Columns));
        }
        return m;
    }

    public GfMatrix Multiply(GfMatrix right)
    {
        if (Columns != right.Rows)
        {
            throw new ArgumentException("Matrix shapes do not match.", nameof(right));
        }
        var result = new GfMatrix(Rows, right.Columns);
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < right.Columns; c++)
            {
                byte sum = 0;
                for (var i = 0; i < Columns; i++)
                {
                    sum ^= GaloisField.Mul(this[r, i], right[i, c]);
                }
                result[r, c] = sum;
            }
        }
        return result;
    }

    /// Gauss-Jordan inversion. Returns null when the matrix is singular.
    public GfMatrix? Invert()
    {
        if (Rows != Columns)
        {
            throw new InvalidOperationException("Only square matrices can be inverted.");
        }
        var n = Rows;
        var work = new GfMatrix(n, n);
        _cells.CopyTo(work._cells, 0);
        var inverse = Identity(n);
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            while (pivot < n && work[pivot, col] == 0)
            {
                pivot++;
            }
            if (pivot == n)
            {
                return null;
            }
            if (pivot != col)
            {
                work.SwapRows(pivot, col);
                inverse.SwapRows(pivot, col);
            }
            var scale = GaloisField.Inverse(work[col, col]);
            work.ScaleRow(col, scale);
            inverse.ScaleRow(col, scale);
            for (var r = 0; r < n; r++)
            {
                var factor = work[r, col];
                if (r != col && factor != 0)
                {
                    work.AddScaledRow(r, col, factor);
                    inverse.AddScaledRow(r, col, factor);
                }
            }
        }
        return inverse;
    }

    private void SwapRows(int a, int b)
    {
        for (var c = 0; c < Columns; c++)
        {
            (this[a, c], this[b, c]) = (this[b, c], this[a, c]);
        }
    }

    private void ScaleRow(int row, byte factor)
    {
        for (var c = 0; c < Columns; c++)
        {
            this[row, c] = GaloisField.Mul(this[row, c], factor);
        }
    }

    // row[target] ^= factor * row[source]
    private void AddScaledRow(int target, int source, byte factor)
    {
        for (var c = 0; c < Columns; c++)
        {
            this[target, c] ^= GaloisField.Mul(this[source, c], factor);
        }
    }
}
