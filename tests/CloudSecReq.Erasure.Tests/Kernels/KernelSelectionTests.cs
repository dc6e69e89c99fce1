using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CloudSecReq.Erasure.Codec;
using Xunit.Abstractions;

namespace CloudSecReq.Erasure.Tests.Kernels;

/// test.sh reruns this suite with DOTNET_EnableAVX512=0, DOTNET_EnableGFNI=0 and
/// DOTNET_EnableHWIntrinsic=0. These tests prove that each knob really switched the feature off
/// (a misspelt knob is silently ignored by the runtime) and say which kernel the run exercises.
public sealed class KernelSelectionTests(ITestOutputHelper output)
{
    [Fact]
    public void BestKernel_ReportsWhichPathThisRunExercises()
    {
        output.WriteLine($"Best kernel: {ReedSolomonCodec.BestKernel}; supported: {string.Join(", ", ReedSolomonCodec.SupportedKernels)}");
        // Also visible in the console of `dotnet test`, where the env runs of test.sh are logged.
        Console.WriteLine($"[erasure] kernel selected: {ReedSolomonCodec.BestKernel}");
        Assert.Equal(ReedSolomonCodec.SupportedKernels[0], ReedSolomonCodec.BestKernel);
        Assert.Equal(ReedSolomonCodec.BestKernel, new ReedSolomonCodec(4, 2).Kernel);
    }

    [Fact]
    public void BestKernel_HardwareIntrinsicsOff_IsScalar()
    {
        if (Knob("DOTNET_EnableHWIntrinsic"))
        {
            Assert.False(Vector128.IsHardwareAccelerated, "DOTNET_EnableHWIntrinsic=0 did not turn SIMD off.");
            Assert.Equal(ErasureKernel.Scalar, ReedSolomonCodec.BestKernel);
            Assert.Equal([ErasureKernel.Scalar], ReedSolomonCodec.SupportedKernels);
        }
    }

    [Fact]
    public void BestKernel_Avx512Off_IsNotGfni512()
    {
        if (Knob("DOTNET_EnableAVX512"))
        {
            Assert.False(Avx512F.IsSupported, "DOTNET_EnableAVX512=0 did not turn AVX-512 off.");
            Assert.False(Vector512.IsHardwareAccelerated);
            Assert.DoesNotContain(ErasureKernel.Gfni512, ReedSolomonCodec.SupportedKernels);
            if (Gfni.IsSupported && Avx2.IsSupported)
            {
                Assert.Equal(ErasureKernel.Gfni256, ReedSolomonCodec.BestKernel);
            }
        }
    }

    [Fact]
    public void BestKernel_GfniOff_IsShuffleKernel()
    {
        if (Knob("DOTNET_EnableGFNI"))
        {
            Assert.False(Gfni.IsSupported, "DOTNET_EnableGFNI=0 did not turn GFNI off.");
            Assert.DoesNotContain(ErasureKernel.Gfni512, ReedSolomonCodec.SupportedKernels);
            Assert.DoesNotContain(ErasureKernel.Gfni256, ReedSolomonCodec.SupportedKernels);
            if (Avx512BW.IsSupported && Vector512.IsHardwareAccelerated)
            {
                Assert.Equal(ErasureKernel.Avx512, ReedSolomonCodec.BestKernel);
            }
            else if (Avx2.IsSupported)
            {
                Assert.Equal(ErasureKernel.Avx2, ReedSolomonCodec.BestKernel);
            }
        }
    }

    [Fact]
    public void BestKernel_NoKnobs_UsesFastestPathTheCpuHas()
    {
        if (!Knob("DOTNET_EnableHWIntrinsic") && !Knob("DOTNET_EnableAVX512") && !Knob("DOTNET_EnableGFNI"))
        {
            var expected =
                Gfni.V512.IsSupported && Vector512.IsHardwareAccelerated ? ErasureKernel.Gfni512
                : Gfni.V256.IsSupported ? ErasureKernel.Gfni256
                : Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? ErasureKernel.Avx512
                : Avx2.IsSupported ? ErasureKernel.Avx2
                : System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported ? ErasureKernel.AdvSimd
                : Ssse3.IsSupported ? ErasureKernel.Ssse3
                : ErasureKernel.Scalar;
            Assert.Equal(expected, ReedSolomonCodec.BestKernel);
        }
    }

    [Fact]
    public void Constructor_UnsupportedKernel_Throws()
    {
        foreach (var kernel in Enum.GetValues<ErasureKernel>())
        {
            if (!ReedSolomonCodec.SupportedKernels.Contains(kernel))
            {
                Assert.Throws<PlatformNotSupportedException>(() => new ReedSolomonCodec(4, 2, kernel));
            }
        }
    }

    private static bool Knob(string name) => Environment.GetEnvironmentVariable(name) == "0";
}
