using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Kernels;

/// Multiplies shards by a coefficient matrix: for every output row r,
/// outputs[r] (= or ^=) sum over j of coefficient[r, j] * inputs[j].
/// Coefficients are passed twice: raw bytes (row-major, outputCount x inputCount) and in the
/// kernel's own prepared form (<see cref="Prepare"/>), so that no per-call work is needed.
internal abstract unsafe class GfKernel
{
    public abstract ErasureKernel Kind { get; }

    /// Bytes one prepared coefficient takes.
    public abstract int PreparedStride { get; }

    public abstract void PrepareCoefficient(byte coefficient, Span<byte> destination);

    public byte[] Prepare(ReadOnlySpan<byte> raw)
    {
        // Pinned so the kernels can hold a pointer to it without a fixed block per call.
        var prepared = GC.AllocateArray<byte>(Math.Max(1, raw.Length * PreparedStride), pinned: true);
        for (var i = 0; i < raw.Length; i++)
        {
            PrepareCoefficient(raw[i], prepared.AsSpan(i * PreparedStride, PreparedStride));
        }
        return prepared;
    }

    /// <param name="inputs">inputCount pointers to shards of <paramref name="length"/> bytes.</param>
    /// <param name="inputCount">Number of inputs: the columns of the coefficient matrix.</param>
    /// <param name="outputs">outputCount pointers; must not overlap the inputs.</param>
    /// <param name="outputCount">Number of outputs: the rows of the coefficient matrix.</param>
    /// <param name="raw">outputCount x inputCount coefficients, row-major.</param>
    /// <param name="prepared">The same coefficients in this kernel's <see cref="Prepare"/> form.</param>
    /// <param name="length">Bytes per shard.</param>
    /// <param name="accumulate">true: xor the products into the outputs; false: overwrite them.</param>
    public abstract void MulAdd(
        byte** inputs, int inputCount, byte** outputs, int outputCount,
        byte* raw, byte* prepared, int length, bool accumulate);
}
