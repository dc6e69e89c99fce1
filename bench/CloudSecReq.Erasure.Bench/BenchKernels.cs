using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Bench;

/// The kernels to measure: every supported one, or those named in ERASURE_KERNELS (comma list).
internal static class BenchKernels
{
    public static IEnumerable<ErasureKernel> Selected()
    {
        var wanted = Environment.GetEnvironmentVariable("ERASURE_KERNELS");
        if (string.IsNullOrWhiteSpace(wanted))
        {
            return ReedSolomonCodec.SupportedKernels;
        }
        return wanted.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Enum.Parse<ErasureKernel>)
            .Where(ReedSolomonCodec.SupportedKernels.Contains);
    }
}
