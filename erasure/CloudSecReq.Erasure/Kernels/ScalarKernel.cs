using System.Runtime.CompilerServices;
using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Galois;

namespace CloudSecReq.Erasure.Kernels;

/// Table-driven fallback and the reference every SIMD kernel is tested against.
internal sealed unsafe class ScalarKernel : GfKernel
{
    public static readonly ScalarKernel Instance = new();

    public override ErasureKernel Kind => ErasureKernel.Scalar;

    public override int PreparedStride => 1;

    public override void PrepareCoefficient(byte coefficient, Span<byte> destination) =>
        destination[0] = coefficient;

    public override void MulAdd(
        byte** inputs, int inputCount, byte** outputs, int outputCount,
        byte* raw, byte* prepared, int length, bool accumulate) =>
        MulAddRange(inputs, inputCount, outputs, outputCount, raw, 0, length, accumulate);

    /// Processes bytes [start, end) only; the vector kernels use it for their tails.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MulAddRange(
        byte** inputs, int inputCount, byte** outputs, int outputCount,
        byte* raw, int start, int end, bool accumulate)
    {
        fixed (byte* table = GaloisField.MulTable)
        {
            for (var r = 0; r < outputCount; r++)
            {
                var output = outputs[r];
                for (var j = 0; j < inputCount; j++)
                {
                    var row = table + (raw[r * inputCount + j] << 8);
                    var input = inputs[j];
                    if (j == 0 && !accumulate)
                    {
                        for (var i = start; i < end; i++)
                        {
                            output[i] = row[input[i]];
                        }
                    }
                    else
                    {
                        for (var i = start; i < end; i++)
                        {
                            output[i] ^= row[input[i]];
                        }
                    }
                }
            }
        }
    }
}
