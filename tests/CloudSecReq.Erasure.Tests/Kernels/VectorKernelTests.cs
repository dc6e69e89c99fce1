using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Kernels;

namespace CloudSecReq.Erasure.Tests.Kernels;

public sealed unsafe class VectorKernelTests
{
    public static TheoryData<ErasureKernel> Kernels() => KernelTheoryData.Supported();

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MulAdd_RandomInputsAndOddLengths_MatchesScalar(ErasureKernel kind)
    {
        var kernel = KernelCatalog.Get(kind);
        var random = new Random(42 + (int)kind);
        int[] lengths = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 255, 1000, 4096, 4097, 65_537];
        foreach (var length in lengths)
        {
            for (var trial = 0; trial < 6; trial++)
            {
                var inputCount = random.Next(1, 14);
                var outputCount = random.Next(1, 10);
                var accumulate = random.Next(2) == 1;
                var raw = new byte[inputCount * outputCount];
                random.NextBytes(raw);
                if (trial == 0)
                {
                    // Edge coefficients: 0 and 1 everywhere.
                    for (var i = 0; i < raw.Length; i++)
                    {
                        raw[i] = (byte)(i % 2);
                    }
                }
                var inputs = Fill(random, inputCount, length);
                var expected = Fill(random, outputCount, length);
                var actual = expected.Select(o => (byte[])o.Clone()).ToArray();
                Run(ScalarKernel.Instance, raw, inputs, expected, accumulate);
                Run(kernel, raw, inputs, actual, accumulate);
                for (var r = 0; r < outputCount; r++)
                {
                    Assert.True(expected[r].AsSpan().SequenceEqual(actual[r]),
                        $"{kind}: output {r} differs (length {length}, {inputCount} inputs, {outputCount} outputs, accumulate {accumulate}).");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MulAdd_EveryCoefficient_MatchesScalar(ErasureKernel kind)
    {
        var kernel = KernelCatalog.Get(kind);
        var input = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[][] inputs = [input];
        for (var c = 0; c < 256; c++)
        {
            byte[] raw = [(byte)c];
            byte[][] expected = [new byte[256]];
            byte[][] actual = [new byte[256]];
            Run(ScalarKernel.Instance, raw, inputs, expected, false);
            Run(kernel, raw, inputs, actual, false);
            Assert.Equal(expected[0], actual[0]);
        }
    }

    private static byte[][] Fill(Random random, int count, int length)
    {
        var arrays = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            arrays[i] = new byte[length];
            random.NextBytes(arrays[i]);
        }
        return arrays;
    }

    internal static void Run(GfKernel kernel, byte[] raw, byte[][] inputs, byte[][] outputs, bool accumulate)
    {
        var prepared = kernel.Prepare(raw);
        var length = inputs[0].Length;
        var handles = inputs.Concat(outputs).Select(a => System.Runtime.InteropServices.GCHandle.Alloc(a, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            var ins = stackalloc byte*[inputs.Length];
            var outs = stackalloc byte*[outputs.Length];
            for (var i = 0; i < inputs.Length; i++)
            {
                ins[i] = (byte*)handles[i].AddrOfPinnedObject();
            }
            for (var i = 0; i < outputs.Length; i++)
            {
                outs[i] = (byte*)handles[inputs.Length + i].AddrOfPinnedObject();
            }
            fixed (byte* r = raw)
            fixed (byte* p = prepared)
            {
                kernel.MulAdd(ins, inputs.Length, outs, outputs.Length, r, p, length, accumulate);
            }
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Free();
            }
        }
    }
}
