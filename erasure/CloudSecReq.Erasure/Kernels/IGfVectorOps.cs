namespace CloudSecReq.Erasure.Kernels;

/// One SIMD way of multiplying a vector of GF(2^8) bytes by a constant. Implemented by structs so
/// that <see cref="VectorKernel{TOps, TVec}"/> is specialised and inlined per instruction set.
internal unsafe interface IGfVectorOps<TVec>
    where TVec : struct
{
    static abstract bool IsSupported { get; }

    /// Bytes per vector.
    static abstract int Width { get; }

    /// Bytes per prepared coefficient.
    static abstract int PreparedStride { get; }

    static abstract void Prepare(byte coefficient, Span<byte> destination);

    static abstract TVec Load(byte* source);

    static abstract void Store(byte* destination, TVec value);

    static abstract TVec Xor(TVec left, TVec right);

    /// value * coefficient, with the coefficient in prepared form.
    static abstract TVec Mul(TVec value, byte* prepared);
}
