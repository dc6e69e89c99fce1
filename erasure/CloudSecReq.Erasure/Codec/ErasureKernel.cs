namespace CloudSecReq.Erasure.Codec;

/// The instruction-set path a <see cref="ReedSolomonCodec"/> multiplies with. All kernels produce
/// identical bytes; they differ only in speed and in the CPU features they need.
public enum ErasureKernel
{
    /// Portable table lookups; runs everywhere.
    Scalar,

    /// SSSE3 split-nibble table shuffles on 128-bit vectors.
    Ssse3,

    /// AVX2 split-nibble table shuffles on 256-bit vectors.
    Avx2,

    /// GFNI affine transforms on 256-bit vectors.
    Gfni256,

    /// GFNI affine transforms on 512-bit vectors (AVX-512).
    Gfni512,

    /// Arm64 AdvSimd table lookups on 128-bit vectors.
    AdvSimd,

    /// AVX-512BW split-nibble table shuffles on 512-bit vectors (AVX-512 CPUs without GFNI).
    Avx512,
}
