using System.Runtime.CompilerServices;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Kernels;

/// The matrix multiply loop shared by every SIMD kernel. Outputs are produced four at a time so
/// that each input vector is loaded once per group and the accumulators stay in registers.
internal sealed unsafe class VectorKernel<TOps, TVec> : GfKernel
    where TOps : struct, IGfVectorOps<TVec>
    where TVec : struct
{
    public VectorKernel(ErasureKernel kind)
    {
        if (!TOps.IsSupported)
        {
            throw new PlatformNotSupportedException($"The {kind} erasure kernel needs CPU features this machine lacks.");
        }
        Kind = kind;
    }

    public override ErasureKernel Kind { get; }

    public override int PreparedStride => TOps.PreparedStride;

    public override void PrepareCoefficient(byte coefficient, Span<byte> destination) =>
        TOps.Prepare(coefficient, destination);

    public override void MulAdd(
        byte** inputs, int inputCount, byte** outputs, int outputCount,
        byte* raw, byte* prepared, int length, bool accumulate)
    {
        int vectorBytes = length - length % TOps.Width;
        int rowStride = inputCount * TOps.PreparedStride;
        if (vectorBytes > 0)
        {
            int r = 0;
            for (; r + 4 <= outputCount; r += 4)
            {
                Group4(inputs, inputCount, outputs + r, prepared + r * rowStride, rowStride, vectorBytes, accumulate);
            }
            switch (outputCount - r)
            {
                case 3:
                    Group3(inputs, inputCount, outputs + r, prepared + r * rowStride, rowStride, vectorBytes, accumulate);
                    break;
                case 2:
                    Group2(inputs, inputCount, outputs + r, prepared + r * rowStride, rowStride, vectorBytes, accumulate);
                    break;
                case 1:
                    Group1(inputs, inputCount, outputs + r, prepared + r * rowStride, rowStride, vectorBytes, accumulate);
                    break;
            }
        }
        if (vectorBytes < length)
        {
            ScalarKernel.MulAddRange(inputs, inputCount, outputs, outputCount, raw, vectorBytes, length, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group4(byte** inputs, int inputCount, byte** outputs, byte* prepared, int rowStride, int vectorBytes, bool accumulate)
    {
        int stride = TOps.PreparedStride;
        byte* o0 = outputs[0];
        byte* o1 = outputs[1];
        byte* o2 = outputs[2];
        byte* o3 = outputs[3];
        for (nint offset = 0; offset < vectorBytes; offset += TOps.Width)
        {
            TVec a0 = accumulate ? TOps.Load(o0 + offset) : default;
            TVec a1 = accumulate ? TOps.Load(o1 + offset) : default;
            TVec a2 = accumulate ? TOps.Load(o2 + offset) : default;
            TVec a3 = accumulate ? TOps.Load(o3 + offset) : default;
            byte* c = prepared;
            for (int j = 0; j < inputCount; j++, c += stride)
            {
                TVec x = TOps.Load(inputs[j] + offset);
                a0 = TOps.Xor(a0, TOps.Mul(x, c));
                a1 = TOps.Xor(a1, TOps.Mul(x, c + rowStride));
                a2 = TOps.Xor(a2, TOps.Mul(x, c + 2 * rowStride));
                a3 = TOps.Xor(a3, TOps.Mul(x, c + 3 * rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o1 + offset, a1);
            TOps.Store(o2 + offset, a2);
            TOps.Store(o3 + offset, a3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group3(byte** inputs, int inputCount, byte** outputs, byte* prepared, int rowStride, int vectorBytes, bool accumulate)
    {
        int stride = TOps.PreparedStride;
        byte* o0 = outputs[0];
        byte* o1 = outputs[1];
        byte* o2 = outputs[2];
        for (nint offset = 0; offset < vectorBytes; offset += TOps.Width)
        {
            TVec a0 = accumulate ? TOps.Load(o0 + offset) : default;
            TVec a1 = accumulate ? TOps.Load(o1 + offset) : default;
            TVec a2 = accumulate ? TOps.Load(o2 + offset) : default;
            byte* c = prepared;
            for (int j = 0; j < inputCount; j++, c += stride)
            {
                TVec x = TOps.Load(inputs[j] + offset);
                a0 = TOps.Xor(a0, TOps.Mul(x, c));
                a1 = TOps.Xor(a1, TOps.Mul(x, c + rowStride));
                a2 = TOps.Xor(a2, TOps.Mul(x, c + 2 * rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o1 + offset, a1);
            TOps.Store(o2 + offset, a2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group2(byte** inputs, int inputCount, byte** outputs, byte* prepared, int rowStride, int vectorBytes, bool accumulate)
    {
        int stride = TOps.PreparedStride;
        byte* o0 = outputs[0];
        byte* o1 = outputs[1];
        for (nint offset = 0; offset < vectorBytes; offset += TOps.Width)
        {
            TVec a0 = accumulate ? TOps.Load(o0 + offset) : default;
            TVec a1 = accumulate ? TOps.Load(o1 + offset) : default;
            byte* c = prepared;
            for (int j = 0; j < inputCount; j++, c += stride)
            {
                TVec x = TOps.Load(inputs[j] + offset);
                a0 = TOps.Xor(a0, TOps.Mul(x, c));
                a1 = TOps.Xor(a1, TOps.Mul(x, c + rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o1 + offset, a1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group1(byte** inputs, int inputCount, byte** outputs, byte* prepared, int rowStride, int vectorBytes, bool accumulate)
    {
        int stride = TOps.PreparedStride;
        byte* o0 = outputs[0];
        for (nint offset = 0; offset < vectorBytes; offset += TOps.Width)
        {
            TVec a0 = accumulate ? TOps.Load(o0 + offset) : default;
            byte* c = prepared;
            for (int j = 0; j < inputCount; j++, c += stride)
            {
                TVec x = TOps.Load(inputs[j] + offset);
                a0 = TOps.Xor(a0, TOps.Mul(x, c));
            }
            TOps.Store(o0 + offset, a0);
        }
    }
}
