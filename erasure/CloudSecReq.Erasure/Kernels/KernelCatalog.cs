using System.Runtime.Intrinsics;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Kernels;

/// Knows which kernels this CPU (as the runtime reports it) can run, and picks the fastest.
internal static class KernelCatalog
{
    // Fastest first.
    private static readonly ErasureKernel[] s_preference =
    [
        ErasureKernel.Gfni512, ErasureKernel.Gfni256, ErasureKernel.Avx512, ErasureKernel.Avx2,
        ErasureKernel.AdvSimd, ErasureKernel.Ssse3, ErasureKernel.Scalar,
    ];

    public static bool IsSupported(ErasureKernel kind) => kind switch
    {
        ErasureKernel.Scalar => true,
        ErasureKernel.Ssse3 => Ssse3NibbleOps.IsSupported,
        ErasureKernel.Avx2 => Avx2NibbleOps.IsSupported,
        ErasureKernel.Gfni256 => Gfni256Ops.IsSupported,
        // Gfni.V512 implies AVX-512; also honour the runtime's view of 512-bit vectors.
        ErasureKernel.Gfni512 => Gfni512Ops.IsSupported && Vector512.IsHardwareAccelerated,
        ErasureKernel.AdvSimd => AdvSimdNibbleOps.IsSupported,
        ErasureKernel.Avx512 => Avx512NibbleOps.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    public static IReadOnlyList<ErasureKernel> Supported { get; } =
        s_preference.Where(IsSupported).ToArray();

    public static ErasureKernel Best { get; } = Supported[0];

    private static readonly Lazy<GfKernel>[] s_instances =
    [
        new(() => ScalarKernel.Instance),
        new(() => new VectorKernel<Ssse3NibbleOps, Vector128<byte>>(ErasureKernel.Ssse3)),
        new(() => new VectorKernel<Avx2NibbleOps, Vector256<byte>>(ErasureKernel.Avx2)),
        new(() => new VectorKernel<Gfni256Ops, Vector256<byte>>(ErasureKernel.Gfni256)),
        new(() => new VectorKernel<Gfni512Ops, Vector512<byte>>(ErasureKernel.Gfni512)),
        new(() => new VectorKernel<AdvSimdNibbleOps, Vector128<byte>>(ErasureKernel.AdvSimd)),
        new(() => new VectorKernel<Avx512NibbleOps, Vector512<byte>>(ErasureKernel.Avx512)),
    ];

    public static GfKernel Get(ErasureKernel kind)
    {
        if (!IsSupported(kind))
        {
            throw new PlatformNotSupportedException($"The {kind} erasure kernel is not supported on this machine.");
        }
        return s_instances[(int)kind].Value;
    }
}
