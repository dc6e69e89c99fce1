using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Tests.Kernels;

/// Every kernel the CPU running the tests supports, for [Theory] data.
public static class KernelTheoryData
{
    public static TheoryData<ErasureKernel> Supported()
    {
        var data = new TheoryData<ErasureKernel>();
        foreach (var kernel in ReedSolomonCodec.SupportedKernels)
        {
            data.Add(kernel);
        }
        return data;
    }
}
