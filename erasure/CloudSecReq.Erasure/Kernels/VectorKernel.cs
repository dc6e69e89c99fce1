using System.Runtime.CompilerServices;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Kernels;

/// The matrix multiply loop shared by every SIMD kernel. Outputs are produced four at a time so
/// that each input vector is loaded once per group and the accumulators stay in registers.
///
/// Why one file of ~590 lines: it is one loop, written out by hand for groups of 4, 3, 2 and 1
/// outputs (<c>Group4</c> … <c>Group1</c>), each with steps of 4, 2 and 1 vectors. The copies are
/// unrolled on purpose: every accumulator is its own local, which is what lets the JIT keep them in
/// registers (an array or a loop over outputs would put them in memory). They are the same algorithm
/// and must change together, so they are kept side by side; every instruction set (<c>TOps</c>) runs
/// this one code, and each is checked against the scalar kernel.
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
        var vectorBytes = length - length % TOps.Width;
        var rowStride = inputCount * TOps.PreparedStride;
        if (vectorBytes > 0)
        {
            var r = 0;
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
        var stride = TOps.PreparedStride;
        var o0 = outputs[0];
        var o1 = outputs[1];
        var o2 = outputs[2];
        var o3 = outputs[3];
        nint offset = 0;
        // Four vectors per step keeps enough independent products in flight, but needs
        // 16 accumulators: only with the 32 registers of AVX-512 (a JIT-time constant).
        if (TOps.Width == 64)
        {
            for (; offset + 4 * TOps.Width <= vectorBytes; offset += 4 * TOps.Width)
            {
                var first = inputs[0] + offset;
                var x0 = TOps.Load(first);
                var x1 = TOps.Load(first + 1 * TOps.Width);
                var x2 = TOps.Load(first + 2 * TOps.Width);
                var x3 = TOps.Load(first + 3 * TOps.Width);
                var a0 = TOps.Mul(x0, prepared);
                var b0 = TOps.Mul(x1, prepared);
                var d0 = TOps.Mul(x2, prepared);
                var e0 = TOps.Mul(x3, prepared);
                var a1 = TOps.Mul(x0, prepared + rowStride);
                var b1 = TOps.Mul(x1, prepared + rowStride);
                var d1 = TOps.Mul(x2, prepared + rowStride);
                var e1 = TOps.Mul(x3, prepared + rowStride);
                var a2 = TOps.Mul(x0, prepared + 2 * rowStride);
                var b2 = TOps.Mul(x1, prepared + 2 * rowStride);
                var d2 = TOps.Mul(x2, prepared + 2 * rowStride);
                var e2 = TOps.Mul(x3, prepared + 2 * rowStride);
                var a3 = TOps.Mul(x0, prepared + 3 * rowStride);
                var b3 = TOps.Mul(x1, prepared + 3 * rowStride);
                var d3 = TOps.Mul(x2, prepared + 3 * rowStride);
                var e3 = TOps.Mul(x3, prepared + 3 * rowStride);
                if (accumulate)
                {
                    a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                    b0 = TOps.Xor(b0, TOps.Load(o0 + offset + 1 * TOps.Width));
                    d0 = TOps.Xor(d0, TOps.Load(o0 + offset + 2 * TOps.Width));
                    e0 = TOps.Xor(e0, TOps.Load(o0 + offset + 3 * TOps.Width));
                    a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
                    b1 = TOps.Xor(b1, TOps.Load(o1 + offset + 1 * TOps.Width));
                    d1 = TOps.Xor(d1, TOps.Load(o1 + offset + 2 * TOps.Width));
                    e1 = TOps.Xor(e1, TOps.Load(o1 + offset + 3 * TOps.Width));
                    a2 = TOps.Xor(a2, TOps.Load(o2 + offset));
                    b2 = TOps.Xor(b2, TOps.Load(o2 + offset + 1 * TOps.Width));
                    d2 = TOps.Xor(d2, TOps.Load(o2 + offset + 2 * TOps.Width));
                    e2 = TOps.Xor(e2, TOps.Load(o2 + offset + 3 * TOps.Width));
                    a3 = TOps.Xor(a3, TOps.Load(o3 + offset));
                    b3 = TOps.Xor(b3, TOps.Load(o3 + offset + 1 * TOps.Width));
                    d3 = TOps.Xor(d3, TOps.Load(o3 + offset + 2 * TOps.Width));
                    e3 = TOps.Xor(e3, TOps.Load(o3 + offset + 3 * TOps.Width));
                }
                var c = prepared + stride;
                for (var j = 1; j < inputCount; j++, c += stride)
                {
                    var input = inputs[j] + offset;
                    x0 = TOps.Load(input);
                    x1 = TOps.Load(input + 1 * TOps.Width);
                    x2 = TOps.Load(input + 2 * TOps.Width);
                    x3 = TOps.Load(input + 3 * TOps.Width);
                    a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                    b0 = TOps.Xor(b0, TOps.Mul(x1, c));
                    d0 = TOps.Xor(d0, TOps.Mul(x2, c));
                    e0 = TOps.Xor(e0, TOps.Mul(x3, c));
                    a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
                    b1 = TOps.Xor(b1, TOps.Mul(x1, c + rowStride));
                    d1 = TOps.Xor(d1, TOps.Mul(x2, c + rowStride));
                    e1 = TOps.Xor(e1, TOps.Mul(x3, c + rowStride));
                    a2 = TOps.Xor(a2, TOps.Mul(x0, c + 2 * rowStride));
                    b2 = TOps.Xor(b2, TOps.Mul(x1, c + 2 * rowStride));
                    d2 = TOps.Xor(d2, TOps.Mul(x2, c + 2 * rowStride));
                    e2 = TOps.Xor(e2, TOps.Mul(x3, c + 2 * rowStride));
                    a3 = TOps.Xor(a3, TOps.Mul(x0, c + 3 * rowStride));
                    b3 = TOps.Xor(b3, TOps.Mul(x1, c + 3 * rowStride));
                    d3 = TOps.Xor(d3, TOps.Mul(x2, c + 3 * rowStride));
                    e3 = TOps.Xor(e3, TOps.Mul(x3, c + 3 * rowStride));
                }
                TOps.Store(o0 + offset, a0);
                TOps.Store(o0 + offset + 1 * TOps.Width, b0);
                TOps.Store(o0 + offset + 2 * TOps.Width, d0);
                TOps.Store(o0 + offset + 3 * TOps.Width, e0);
                TOps.Store(o1 + offset, a1);
                TOps.Store(o1 + offset + 1 * TOps.Width, b1);
                TOps.Store(o1 + offset + 2 * TOps.Width, d1);
                TOps.Store(o1 + offset + 3 * TOps.Width, e1);
                TOps.Store(o2 + offset, a2);
                TOps.Store(o2 + offset + 1 * TOps.Width, b2);
                TOps.Store(o2 + offset + 2 * TOps.Width, d2);
                TOps.Store(o2 + offset + 3 * TOps.Width, e2);
                TOps.Store(o3 + offset, a3);
                TOps.Store(o3 + offset + 1 * TOps.Width, b3);
                TOps.Store(o3 + offset + 2 * TOps.Width, d3);
                TOps.Store(o3 + offset + 3 * TOps.Width, e3);
            }
        }
        for (; offset + 2 * TOps.Width <= vectorBytes; offset += 2 * TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var x1 = TOps.Load(first + 1 * TOps.Width);
            var a0 = TOps.Mul(x0, prepared);
            var b0 = TOps.Mul(x1, prepared);
            var a1 = TOps.Mul(x0, prepared + rowStride);
            var b1 = TOps.Mul(x1, prepared + rowStride);
            var a2 = TOps.Mul(x0, prepared + 2 * rowStride);
            var b2 = TOps.Mul(x1, prepared + 2 * rowStride);
            var a3 = TOps.Mul(x0, prepared + 3 * rowStride);
            var b3 = TOps.Mul(x1, prepared + 3 * rowStride);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                b0 = TOps.Xor(b0, TOps.Load(o0 + offset + 1 * TOps.Width));
                a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
                b1 = TOps.Xor(b1, TOps.Load(o1 + offset + 1 * TOps.Width));
                a2 = TOps.Xor(a2, TOps.Load(o2 + offset));
                b2 = TOps.Xor(b2, TOps.Load(o2 + offset + 1 * TOps.Width));
                a3 = TOps.Xor(a3, TOps.Load(o3 + offset));
                b3 = TOps.Xor(b3, TOps.Load(o3 + offset + 1 * TOps.Width));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                x1 = TOps.Load(input + 1 * TOps.Width);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                b0 = TOps.Xor(b0, TOps.Mul(x1, c));
                a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
                b1 = TOps.Xor(b1, TOps.Mul(x1, c + rowStride));
                a2 = TOps.Xor(a2, TOps.Mul(x0, c + 2 * rowStride));
                b2 = TOps.Xor(b2, TOps.Mul(x1, c + 2 * rowStride));
                a3 = TOps.Xor(a3, TOps.Mul(x0, c + 3 * rowStride));
                b3 = TOps.Xor(b3, TOps.Mul(x1, c + 3 * rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o0 + offset + 1 * TOps.Width, b0);
            TOps.Store(o1 + offset, a1);
            TOps.Store(o1 + offset + 1 * TOps.Width, b1);
            TOps.Store(o2 + offset, a2);
            TOps.Store(o2 + offset + 1 * TOps.Width, b2);
            TOps.Store(o3 + offset, a3);
            TOps.Store(o3 + offset + 1 * TOps.Width, b3);
        }
        for (; offset + TOps.Width <= vectorBytes; offset += TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var a0 = TOps.Mul(x0, prepared);
            var a1 = TOps.Mul(x0, prepared + rowStride);
            var a2 = TOps.Mul(x0, prepared + 2 * rowStride);
            var a3 = TOps.Mul(x0, prepared + 3 * rowStride);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
                a2 = TOps.Xor(a2, TOps.Load(o2 + offset));
                a3 = TOps.Xor(a3, TOps.Load(o3 + offset));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
                a2 = TOps.Xor(a2, TOps.Mul(x0, c + 2 * rowStride));
                a3 = TOps.Xor(a3, TOps.Mul(x0, c + 3 * rowStride));
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
        var stride = TOps.PreparedStride;
        var o0 = outputs[0];
        var o1 = outputs[1];
        var o2 = outputs[2];
        nint offset = 0;
        // Four vectors per step keeps enough independent products in flight, but needs
        // 12 accumulators: only with the 32 registers of AVX-512 (a JIT-time constant).
        if (TOps.Width == 64)
        {
            for (; offset + 4 * TOps.Width <= vectorBytes; offset += 4 * TOps.Width)
            {
                var first = inputs[0] + offset;
                var x0 = TOps.Load(first);
                var x1 = TOps.Load(first + 1 * TOps.Width);
                var x2 = TOps.Load(first + 2 * TOps.Width);
                var x3 = TOps.Load(first + 3 * TOps.Width);
                var a0 = TOps.Mul(x0, prepared);
                var b0 = TOps.Mul(x1, prepared);
                var d0 = TOps.Mul(x2, prepared);
                var e0 = TOps.Mul(x3, prepared);
                var a1 = TOps.Mul(x0, prepared + rowStride);
                var b1 = TOps.Mul(x1, prepared + rowStride);
                var d1 = TOps.Mul(x2, prepared + rowStride);
                var e1 = TOps.Mul(x3, prepared + rowStride);
                var a2 = TOps.Mul(x0, prepared + 2 * rowStride);
                var b2 = TOps.Mul(x1, prepared + 2 * rowStride);
                var d2 = TOps.Mul(x2, prepared + 2 * rowStride);
                var e2 = TOps.Mul(x3, prepared + 2 * rowStride);
                if (accumulate)
                {
                    a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                    b0 = TOps.Xor(b0, TOps.Load(o0 + offset + 1 * TOps.Width));
                    d0 = TOps.Xor(d0, TOps.Load(o0 + offset + 2 * TOps.Width));
                    e0 = TOps.Xor(e0, TOps.Load(o0 + offset + 3 * TOps.Width));
                    a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
                    b1 = TOps.Xor(b1, TOps.Load(o1 + offset + 1 * TOps.Width));
                    d1 = TOps.Xor(d1, TOps.Load(o1 + offset + 2 * TOps.Width));
                    e1 = TOps.Xor(e1, TOps.Load(o1 + offset + 3 * TOps.Width));
                    a2 = TOps.Xor(a2, TOps.Load(o2 + offset));
                    b2 = TOps.Xor(b2, TOps.Load(o2 + offset + 1 * TOps.Width));
                    d2 = TOps.Xor(d2, TOps.Load(o2 + offset + 2 * TOps.Width));
                    e2 = TOps.Xor(e2, TOps.Load(o2 + offset + 3 * TOps.Width));
                }
                var c = prepared + stride;
                for (var j = 1; j < inputCount; j++, c += stride)
                {
                    var input = inputs[j] + offset;
                    x0 = TOps.Load(input);
                    x1 = TOps.Load(input + 1 * TOps.Width);
                    x2 = TOps.Load(input + 2 * TOps.Width);
                    x3 = TOps.Load(input + 3 * TOps.Width);
                    a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                    b0 = TOps.Xor(b0, TOps.Mul(x1, c));
                    d0 = TOps.Xor(d0, TOps.Mul(x2, c));
                    e0 = TOps.Xor(e0, TOps.Mul(x3, c));
                    a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
                    b1 = TOps.Xor(b1, TOps.Mul(x1, c + rowStride));
                    d1 = TOps.Xor(d1, TOps.Mul(x2, c + rowStride));
                    e1 = TOps.Xor(e1, TOps.Mul(x3, c + rowStride));
                    a2 = TOps.Xor(a2, TOps.Mul(x0, c + 2 * rowStride));
                    b2 = TOps.Xor(b2, TOps.Mul(x1, c + 2 * rowStride));
                    d2 = TOps.Xor(d2, TOps.Mul(x2, c + 2 * rowStride));
                    e2 = TOps.Xor(e2, TOps.Mul(x3, c + 2 * rowStride));
                }
                TOps.Store(o0 + offset, a0);
                TOps.Store(o0 + offset + 1 * TOps.Width, b0);
                TOps.Store(o0 + offset + 2 * TOps.Width, d0);
                TOps.Store(o0 + offset + 3 * TOps.Width, e0);
                TOps.Store(o1 + offset, a1);
                TOps.Store(o1 + offset + 1 * TOps.Width, b1);
                TOps.Store(o1 + offset + 2 * TOps.Width, d1);
                TOps.Store(o1 + offset + 3 * TOps.Width, e1);
                TOps.Store(o2 + offset, a2);
                TOps.Store(o2 + offset + 1 * TOps.Width, b2);
                TOps.Store(o2 + offset + 2 * TOps.Width, d2);
                TOps.Store(o2 + offset + 3 * TOps.Width, e2);
            }
        }
        for (; offset + 2 * TOps.Width <= vectorBytes; offset += 2 * TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var x1 = TOps.Load(first + 1 * TOps.Width);
            var a0 = TOps.Mul(x0, prepared);
            var b0 = TOps.Mul(x1, prepared);
            var a1 = TOps.Mul(x0, prepared + rowStride);
            var b1 = TOps.Mul(x1, prepared + rowStride);
            var a2 = TOps.Mul(x0, prepared + 2 * rowStride);
            var b2 = TOps.Mul(x1, prepared + 2 * rowStride);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                b0 = TOps.Xor(b0, TOps.Load(o0 + offset + 1 * TOps.Width));
                a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
                b1 = TOps.Xor(b1, TOps.Load(o1 + offset + 1 * TOps.Width));
                a2 = TOps.Xor(a2, TOps.Load(o2 + offset));
                b2 = TOps.Xor(b2, TOps.Load(o2 + offset + 1 * TOps.Width));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                x1 = TOps.Load(input + 1 * TOps.Width);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                b0 = TOps.Xor(b0, TOps.Mul(x1, c));
                a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
                b1 = TOps.Xor(b1, TOps.Mul(x1, c + rowStride));
                a2 = TOps.Xor(a2, TOps.Mul(x0, c + 2 * rowStride));
                b2 = TOps.Xor(b2, TOps.Mul(x1, c + 2 * rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o0 + offset + 1 * TOps.Width, b0);
            TOps.Store(o1 + offset, a1);
            TOps.Store(o1 + offset + 1 * TOps.Width, b1);
            TOps.Store(o2 + offset, a2);
            TOps.Store(o2 + offset + 1 * TOps.Width, b2);
        }
        for (; offset + TOps.Width <= vectorBytes; offset += TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var a0 = TOps.Mul(x0, prepared);
            var a1 = TOps.Mul(x0, prepared + rowStride);
            var a2 = TOps.Mul(x0, prepared + 2 * rowStride);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
                a2 = TOps.Xor(a2, TOps.Load(o2 + offset));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
                a2 = TOps.Xor(a2, TOps.Mul(x0, c + 2 * rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o1 + offset, a1);
            TOps.Store(o2 + offset, a2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group2(byte** inputs, int inputCount, byte** outputs, byte* prepared, int rowStride, int vectorBytes, bool accumulate)
    {
        var stride = TOps.PreparedStride;
        var o0 = outputs[0];
        var o1 = outputs[1];
        nint offset = 0;
        // Four vectors per step keeps enough independent products in flight.
        for (; offset + 4 * TOps.Width <= vectorBytes; offset += 4 * TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var x1 = TOps.Load(first + 1 * TOps.Width);
            var x2 = TOps.Load(first + 2 * TOps.Width);
            var x3 = TOps.Load(first + 3 * TOps.Width);
            var a0 = TOps.Mul(x0, prepared);
            var b0 = TOps.Mul(x1, prepared);
            var d0 = TOps.Mul(x2, prepared);
            var e0 = TOps.Mul(x3, prepared);
            var a1 = TOps.Mul(x0, prepared + rowStride);
            var b1 = TOps.Mul(x1, prepared + rowStride);
            var d1 = TOps.Mul(x2, prepared + rowStride);
            var e1 = TOps.Mul(x3, prepared + rowStride);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                b0 = TOps.Xor(b0, TOps.Load(o0 + offset + 1 * TOps.Width));
                d0 = TOps.Xor(d0, TOps.Load(o0 + offset + 2 * TOps.Width));
                e0 = TOps.Xor(e0, TOps.Load(o0 + offset + 3 * TOps.Width));
                a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
                b1 = TOps.Xor(b1, TOps.Load(o1 + offset + 1 * TOps.Width));
                d1 = TOps.Xor(d1, TOps.Load(o1 + offset + 2 * TOps.Width));
                e1 = TOps.Xor(e1, TOps.Load(o1 + offset + 3 * TOps.Width));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                x1 = TOps.Load(input + 1 * TOps.Width);
                x2 = TOps.Load(input + 2 * TOps.Width);
                x3 = TOps.Load(input + 3 * TOps.Width);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                b0 = TOps.Xor(b0, TOps.Mul(x1, c));
                d0 = TOps.Xor(d0, TOps.Mul(x2, c));
                e0 = TOps.Xor(e0, TOps.Mul(x3, c));
                a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
                b1 = TOps.Xor(b1, TOps.Mul(x1, c + rowStride));
                d1 = TOps.Xor(d1, TOps.Mul(x2, c + rowStride));
                e1 = TOps.Xor(e1, TOps.Mul(x3, c + rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o0 + offset + 1 * TOps.Width, b0);
            TOps.Store(o0 + offset + 2 * TOps.Width, d0);
            TOps.Store(o0 + offset + 3 * TOps.Width, e0);
            TOps.Store(o1 + offset, a1);
            TOps.Store(o1 + offset + 1 * TOps.Width, b1);
            TOps.Store(o1 + offset + 2 * TOps.Width, d1);
            TOps.Store(o1 + offset + 3 * TOps.Width, e1);
        }
        for (; offset + 2 * TOps.Width <= vectorBytes; offset += 2 * TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var x1 = TOps.Load(first + 1 * TOps.Width);
            var a0 = TOps.Mul(x0, prepared);
            var b0 = TOps.Mul(x1, prepared);
            var a1 = TOps.Mul(x0, prepared + rowStride);
            var b1 = TOps.Mul(x1, prepared + rowStride);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                b0 = TOps.Xor(b0, TOps.Load(o0 + offset + 1 * TOps.Width));
                a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
                b1 = TOps.Xor(b1, TOps.Load(o1 + offset + 1 * TOps.Width));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                x1 = TOps.Load(input + 1 * TOps.Width);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                b0 = TOps.Xor(b0, TOps.Mul(x1, c));
                a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
                b1 = TOps.Xor(b1, TOps.Mul(x1, c + rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o0 + offset + 1 * TOps.Width, b0);
            TOps.Store(o1 + offset, a1);
            TOps.Store(o1 + offset + 1 * TOps.Width, b1);
        }
        for (; offset + TOps.Width <= vectorBytes; offset += TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var a0 = TOps.Mul(x0, prepared);
            var a1 = TOps.Mul(x0, prepared + rowStride);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                a1 = TOps.Xor(a1, TOps.Mul(x0, c + rowStride));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o1 + offset, a1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group1(byte** inputs, int inputCount, byte** outputs, byte* prepared, int rowStride, int vectorBytes, bool accumulate)
    {
        var stride = TOps.PreparedStride;
        var o0 = outputs[0];
        nint offset = 0;
        // Four vectors per step keeps enough independent products in flight.
        for (; offset + 4 * TOps.Width <= vectorBytes; offset += 4 * TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var x1 = TOps.Load(first + 1 * TOps.Width);
            var x2 = TOps.Load(first + 2 * TOps.Width);
            var x3 = TOps.Load(first + 3 * TOps.Width);
            var a0 = TOps.Mul(x0, prepared);
            var b0 = TOps.Mul(x1, prepared);
            var d0 = TOps.Mul(x2, prepared);
            var e0 = TOps.Mul(x3, prepared);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                b0 = TOps.Xor(b0, TOps.Load(o0 + offset + 1 * TOps.Width));
                d0 = TOps.Xor(d0, TOps.Load(o0 + offset + 2 * TOps.Width));
                e0 = TOps.Xor(e0, TOps.Load(o0 + offset + 3 * TOps.Width));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                x1 = TOps.Load(input + 1 * TOps.Width);
                x2 = TOps.Load(input + 2 * TOps.Width);
                x3 = TOps.Load(input + 3 * TOps.Width);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                b0 = TOps.Xor(b0, TOps.Mul(x1, c));
                d0 = TOps.Xor(d0, TOps.Mul(x2, c));
                e0 = TOps.Xor(e0, TOps.Mul(x3, c));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o0 + offset + 1 * TOps.Width, b0);
            TOps.Store(o0 + offset + 2 * TOps.Width, d0);
            TOps.Store(o0 + offset + 3 * TOps.Width, e0);
        }
        for (; offset + 2 * TOps.Width <= vectorBytes; offset += 2 * TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var x1 = TOps.Load(first + 1 * TOps.Width);
            var a0 = TOps.Mul(x0, prepared);
            var b0 = TOps.Mul(x1, prepared);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
                b0 = TOps.Xor(b0, TOps.Load(o0 + offset + 1 * TOps.Width));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                x1 = TOps.Load(input + 1 * TOps.Width);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
                b0 = TOps.Xor(b0, TOps.Mul(x1, c));
            }
            TOps.Store(o0 + offset, a0);
            TOps.Store(o0 + offset + 1 * TOps.Width, b0);
        }
        for (; offset + TOps.Width <= vectorBytes; offset += TOps.Width)
        {
            var first = inputs[0] + offset;
            var x0 = TOps.Load(first);
            var a0 = TOps.Mul(x0, prepared);
            if (accumulate)
            {
                a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
            }
            var c = prepared + stride;
            for (var j = 1; j < inputCount; j++, c += stride)
            {
                var input = inputs[j] + offset;
                x0 = TOps.Load(input);
                a0 = TOps.Xor(a0, TOps.Mul(x0, c));
            }
            TOps.Store(o0 + offset, a0);
        }
    }
}
