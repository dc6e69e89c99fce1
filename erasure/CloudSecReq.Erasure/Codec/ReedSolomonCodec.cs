using System.Buffers;
using System.Collections.Concurrent;
using CloudSecReq.Erasure.Galois;
using CloudSecReq.Erasure.Kernels;

namespace CloudSecReq.Erasure.Codec;

/// Systematic Reed-Solomon erasure code over GF(2^8): k data shards and m parity shards, any k of
/// which rebuild the rest. The parity rows form a Cauchy matrix (ISA-L's gf_gen_cauchy1_matrix),
/// so every k x k submatrix of the encoding matrix is invertible.
/// Shards are passed in one list, data shards first (indexes 0..k-1) then parity (k..k+m-1), all
/// of the same length. Methods never allocate per call once warm (decode plans are cached per loss
/// pattern, scratch comes from a pool). An instance is immutable and safe to share between threads.
public sealed unsafe class ReedSolomonCodec
{
    private const int ScratchChunkBytes = 64 * 1024;
    private const int MaxCachedPlans = 4096;

    private readonly GfKernel _kernel;
    private readonly GfMatrix _encoding;
    private readonly byte[] _parityRaw;
    private readonly byte[] _parityPrepared;
    private readonly byte[][] _columnRaw;
    private readonly byte[][] _columnPrepared;
    private readonly ConcurrentDictionary<ShardMask, DecodePlan> _plans = new();

    /// <summary>Creates a codec for <paramref name="dataShards"/> + <paramref name="parityShards"/>.</summary>
    /// <param name="dataShards">k, at least 1.</param>
    /// <param name="parityShards">m, at least 1; k + m must not exceed 256.</param>
    /// <param name="kernel">The SIMD path to use; null picks <see cref="BestKernel"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">k or m out of range.</exception>
    /// <exception cref="PlatformNotSupportedException">The requested kernel cannot run on this CPU.</exception>
    public ReedSolomonCodec(int dataShards, int parityShards, ErasureKernel? kernel = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dataShards, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parityShards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dataShards + parityShards, 256, nameof(parityShards));
        DataShards = dataShards;
        ParityShards = parityShards;
        _kernel = KernelCatalog.Get(kernel ?? BestKernel);
        _encoding = GfMatrix.SystematicCauchy(dataShards, parityShards);

        _parityRaw = new byte[parityShards * dataShards];
        for (var r = 0; r < parityShards; r++)
        {
            _encoding.Row(dataShards + r).CopyTo(_parityRaw.AsSpan(r * dataShards));
        }
        _parityPrepared = _kernel.Prepare(_parityRaw);

        // Column j of the parity rows: what a change to data shard j does to each parity shard.
        _columnRaw = new byte[dataShards][];
        _columnPrepared = new byte[dataShards][];
        for (var j = 0; j < dataShards; j++)
        {
            _columnRaw[j] = new byte[parityShards];
            for (var r = 0; r < parityShards; r++)
            {
                _columnRaw[j][r] = _parityRaw[r * dataShards + j];
            }
            _columnPrepared[j] = _kernel.Prepare(_columnRaw[j]);
        }
    }

    /// The fastest kernel this CPU supports, as the .NET runtime reports its features.
    public static ErasureKernel BestKernel => KernelCatalog.Best;

    /// Every kernel this CPU supports, fastest first.
    public static IReadOnlyList<ErasureKernel> SupportedKernels => KernelCatalog.Supported;

    /// k.
    public int DataShards { get; }

    /// m.
    public int ParityShards { get; }

    /// k + m.
    public int TotalShards => DataShards + ParityShards;

    /// The kernel this instance multiplies with.
    public ErasureKernel Kernel => _kernel.Kind;

    /// Coefficient [row, column] of the (k + m) x k encoding matrix; row i produces shard i.
    internal byte EncodingCoefficient(int row, int column) => _encoding[row, column];

    /// <summary>Computes the parity shards from the data shards.</summary>
    /// <param name="shards">k + m buffers of equal length; reads 0..k-1, overwrites k..k+m-1.</param>
    /// <exception cref="ArgumentException">Wrong shard count or unequal lengths.</exception>
    public void Encode(ReadOnlySpan<Memory<byte>> shards)
    {
        var length = CheckShards(shards);
        var pointers = stackalloc byte*[TotalShards];
        var request = new CodecRequest(CodecOperation.Encode, length, default, false);
        PinAndRun(shards, 0, pointers, ref request);
    }

    /// <summary>Computes the parity shards of a stripe laid out contiguously.</summary>
    /// <param name="stripe">(k + m) * <paramref name="shardLengthBytes"/> bytes: shard i at i * shardLengthBytes.</param>
    /// <param name="shardLengthBytes">Bytes per shard, not negative.</param>
    /// <exception cref="ArgumentException">The stripe is not exactly k + m shards long.</exception>
    public void Encode(Span<byte> stripe, int shardLengthBytes)
    {
        CheckStripe(stripe.Length, shardLengthBytes);
        fixed (byte* start = stripe)
        {
            var pointers = stackalloc byte*[TotalShards];
            Lay(start, shardLengthBytes, pointers);
            EncodeCore(pointers, shardLengthBytes);
        }
    }

    /// <summary>Checks that the parity shards match the data shards.</summary>
    /// <param name="shards">k + m buffers of equal length; only read.</param>
    /// <returns>true when every parity byte is what <see cref="Encode(ReadOnlySpan{Memory{byte}})"/> would write.</returns>
    public bool Verify(ReadOnlySpan<Memory<byte>> shards)
    {
        var length = CheckShards(shards);
        var pointers = stackalloc byte*[TotalShards];
        var request = new CodecRequest(CodecOperation.Verify, length, default, false);
        PinAndRun(shards, 0, pointers, ref request);
        return request.Result;
    }

    /// <summary>Checks a contiguous stripe (see <see cref="Encode(Span{byte}, int)"/>).</summary>
    public bool Verify(ReadOnlySpan<byte> stripe, int shardLengthBytes)
    {
        CheckStripe(stripe.Length, shardLengthBytes);
        fixed (byte* start = stripe)
        {
            var pointers = stackalloc byte*[TotalShards];
            Lay(start, shardLengthBytes, pointers);
            return VerifyCore(pointers, shardLengthBytes);
        }
    }

    /// <summary>Rebuilds the shards marked not present from any k present ones.</summary>
    /// <param name="shards">k + m buffers of equal length. Present shards are read; the buffers of
    /// absent shards are overwritten with their rebuilt content.</param>
    /// <param name="present">One flag per shard: true when its buffer holds good data.</param>
    /// <param name="dataOnly">true to rebuild only missing data shards and leave missing parity alone.</param>
    /// <exception cref="ShardLossException">Fewer than k shards are present.</exception>
    public void Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, bool dataOnly = false)
    {
        var length = CheckShards(shards);
        CheckPresent(present);
        var pointers = stackalloc byte*[TotalShards];
        var request = new CodecRequest(CodecOperation.Reconstruct, length, present, dataOnly);
        PinAndRun(shards, 0, pointers, ref request);
    }

    /// <summary>Rebuilds missing shards of a contiguous stripe (see <see cref="Encode(Span{byte}, int)"/>).</summary>
    public void Reconstruct(Span<byte> stripe, int shardLengthBytes, ReadOnlySpan<bool> present, bool dataOnly = false)
    {
        CheckStripe(stripe.Length, shardLengthBytes);
        CheckPresent(present);
        fixed (byte* start = stripe)
        {
            var pointers = stackalloc byte*[TotalShards];
            Lay(start, shardLengthBytes, pointers);
            ReconstructCore(pointers, shardLengthBytes, present, dataOnly);
        }
    }

    /// <summary>Brings the parity shards up to date after data shard <paramref name="dataIndex"/>
    /// changed from <paramref name="oldData"/> to <paramref name="newData"/>, without reading the
    /// other data shards.</summary>
    /// <param name="dataIndex">The data shard that changed, 0 … k − 1.</param>
    /// <param name="oldData">Its bytes before the change.</param>
    /// <param name="newData">Its bytes after the change, as long as <paramref name="oldData"/>.</param>
    /// <param name="parity">The m parity shards, updated in place.</param>
    /// <exception cref="ArgumentException">Wrong parity count or unequal lengths.</exception>
    public void Update(int dataIndex, ReadOnlySpan<byte> oldData, ReadOnlySpan<byte> newData, ReadOnlySpan<Memory<byte>> parity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(dataIndex, DataShards);
        if (parity.Length != ParityShards)
        {
            throw new ArgumentException($"Expected {ParityShards} parity shards, got {parity.Length}.", nameof(parity));
        }
        var length = oldData.Length;
        if (newData.Length != length)
        {
            throw new ArgumentException("Old and new data differ in length.", nameof(newData));
        }
        foreach (var shard in parity)
        {
            if (shard.Length != length)
            {
                throw new ArgumentException("Every parity shard must be as long as the data shard.", nameof(parity));
            }
        }
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Max(1, Math.Min(length, ScratchChunkBytes)));
        var pointers = stackalloc byte*[ParityShards];
        try
        {
            for (var offset = 0; offset < length; offset += ScratchChunkBytes)
            {
                var chunk = Math.Min(ScratchChunkBytes, length - offset);
                ByteXor.Xor(oldData.Slice(offset, chunk), newData.Slice(offset, chunk), scratch.AsSpan(0, chunk));
                fixed (byte* delta = scratch)
                {
                    var request = new CodecRequest(CodecOperation.Update, chunk, default, false)
                    {
                        Delta = delta,
                        DataIndex = dataIndex,
                        Offset = offset,
                    };
                    PinAndRun(parity, 0, pointers, ref request);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    internal void EncodeCore(byte** shards, int length)
    {
        fixed (byte* raw = _parityRaw)
        {
            // _parityPrepared is allocated pinned.
            fixed (byte* prepared = _parityPrepared)
            {
                _kernel.MulAdd(shards, DataShards, shards + DataShards, ParityShards, raw, prepared, length, accumulate: false);
            }
        }
    }

    internal bool VerifyCore(byte** shards, int length)
    {
        var chunkBytes = Math.Min(length, ScratchChunkBytes);
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Max(1, chunkBytes * ParityShards));
        try
        {
            fixed (byte* scratchStart = scratch)
            fixed (byte* raw = _parityRaw)
            fixed (byte* prepared = _parityPrepared)
            {
                var inputs = stackalloc byte*[DataShards];
                var outputs = stackalloc byte*[ParityShards];
                for (var offset = 0; offset < length; offset += chunkBytes)
                {
                    var chunk = Math.Min(chunkBytes, length - offset);
                    for (var j = 0; j < DataShards; j++)
                    {
                        inputs[j] = shards[j] + offset;
                    }
                    for (var r = 0; r < ParityShards; r++)
                    {
                        outputs[r] = scratchStart + r * chunkBytes;
                    }
                    _kernel.MulAdd(inputs, DataShards, outputs, ParityShards, raw, prepared, chunk, accumulate: false);
                    for (var r = 0; r < ParityShards; r++)
                    {
                        var expected = new ReadOnlySpan<byte>(outputs[r], chunk);
                        var actual = new ReadOnlySpan<byte>(shards[DataShards + r] + offset, chunk);
                        if (!expected.SequenceEqual(actual))
                        {
                            return false;
                        }
                    }
                }
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    internal void ReconstructCore(byte** shards, int length, ReadOnlySpan<bool> present, bool dataOnly)
    {
        var presentCount = 0;
        var dataMissing = false;
        var parityMissing = false;
        for (var i = 0; i < TotalShards; i++)
        {
            if (present[i])
            {
                presentCount++;
            }
            else if (i < DataShards)
            {
                dataMissing = true;
            }
            else
            {
                parityMissing = true;
            }
        }
        if (presentCount < DataShards)
        {
            var missing = new List<int>();
            for (var i = 0; i < TotalShards; i++)
            {
                if (!present[i])
                {
                    missing.Add(i);
                }
            }
            throw new ShardLossException(
                $"Only {presentCount} of {TotalShards} shards are present; {DataShards} are needed. " +
                $"Missing: {string.Join(", ", missing)}.", missing);
        }
        if (!dataMissing && (dataOnly || !parityMissing))
        {
            return;
        }

        var plan = GetPlan(present);
        if (plan.MissingData.Length > 0)
        {
            var inputs = stackalloc byte*[DataShards];
            var outputs = stackalloc byte*[plan.MissingData.Length];
            for (var j = 0; j < DataShards; j++)
            {
                inputs[j] = shards[plan.Inputs[j]];
            }
            for (var r = 0; r < plan.MissingData.Length; r++)
            {
                outputs[r] = shards[plan.MissingData[r]];
            }
            fixed (byte* raw = plan.DataRaw)
            fixed (byte* prepared = plan.DataPrepared)
            {
                _kernel.MulAdd(inputs, DataShards, outputs, plan.MissingData.Length, raw, prepared, length, accumulate: false);
            }
        }
        if (!dataOnly && plan.MissingParity.Length > 0)
        {
            var outputs = stackalloc byte*[plan.MissingParity.Length];
            for (var r = 0; r < plan.MissingParity.Length; r++)
            {
                outputs[r] = shards[plan.MissingParity[r]];
            }
            fixed (byte* raw = plan.ParityRaw)
            fixed (byte* prepared = plan.ParityPrepared)
            {
                _kernel.MulAdd(shards, DataShards, outputs, plan.MissingParity.Length, raw, prepared, length, accumulate: false);
            }
        }
    }

    private DecodePlan GetPlan(ReadOnlySpan<bool> present)
    {
        var mask = ShardMask.From(present[..TotalShards]);
        if (_plans.TryGetValue(mask, out var plan))
        {
            return plan;
        }
        plan = new DecodePlan(_encoding, DataShards, present[..TotalShards], _kernel);
        if (_plans.Count >= MaxCachedPlans)
        {
            // Loss patterns are few in practice; a full cache means something odd, so start over.
            _plans.Clear();
        }
        return _plans.GetOrAdd(mask, plan);
    }

    private void Lay(byte* start, int shardLengthBytes, byte** pointers)
    {
        for (var i = 0; i < TotalShards; i++)
        {
            pointers[i] = start + (nint)i * shardLengthBytes;
        }
    }

    private int CheckShards(ReadOnlySpan<Memory<byte>> shards)
    {
        if (shards.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} shards, got {shards.Length}.", nameof(shards));
        }
        var length = shards[0].Length;
        for (var i = 1; i < shards.Length; i++)
        {
            if (shards[i].Length != length)
            {
                throw new ArgumentException($"Shard {i} is {shards[i].Length} bytes, shard 0 is {length}; all must be equal.", nameof(shards));
            }
        }
        return length;
    }

    private void CheckStripe(int stripeLength, int shardLengthBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shardLengthBytes);
        if ((long)shardLengthBytes * TotalShards != stripeLength)
        {
            throw new ArgumentException($"A stripe of {TotalShards} shards of {shardLengthBytes} bytes is {(long)shardLengthBytes * TotalShards} bytes, not {stripeLength}.", nameof(stripeLength));
        }
    }

    private void CheckPresent(ReadOnlySpan<bool> present)
    {
        if (present.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} presence flags, got {present.Length}.", nameof(present));
        }
    }

    // Pins each shard with a fixed statement, one stack frame per shard (at most 256), which
    // costs nothing like a GCHandle would; at the bottom every pointer is valid.
    private void PinAndRun(ReadOnlySpan<Memory<byte>> shards, int index, byte** pointers, ref CodecRequest request)
    {
        if (index < shards.Length)
        {
            fixed (byte* pointer = shards[index].Span)
            {
                pointers[index] = pointer;
                PinAndRun(shards, index + 1, pointers, ref request);
            }
            return;
        }
        switch (request.Operation)
        {
            case CodecOperation.Encode:
                if (request.Length > 0)
                {
                    EncodeCore(pointers, request.Length);
                }
                break;
            case CodecOperation.Verify:
                request.Result = request.Length == 0 || VerifyCore(pointers, request.Length);
                break;
            case CodecOperation.Reconstruct:
                if (request.Length > 0)
                {
                    ReconstructCore(pointers, request.Length, request.Present, request.DataOnly);
                }
                else
                {
                    // Empty shards: nothing to rebuild, but too few shards is still an error.
                    ReconstructCheckOnly(request.Present);
                }
                break;
            case CodecOperation.Update:
                UpdateCore(pointers, ref request);
                break;
        }
    }

    private void ReconstructCheckOnly(ReadOnlySpan<bool> present)
    {
        var count = 0;
        foreach (var p in present)
        {
            count += p ? 1 : 0;
        }
        if (count < DataShards)
        {
            var missing = new List<int>();
            for (var i = 0; i < present.Length; i++)
            {
                if (!present[i])
                {
                    missing.Add(i);
                }
            }
            throw new ShardLossException($"Only {count} of {TotalShards} shards are present; {DataShards} are needed.", missing);
        }
    }

    private void UpdateCore(byte** parity, ref CodecRequest request)
    {
        var outputs = stackalloc byte*[ParityShards];
        for (var r = 0; r < ParityShards; r++)
        {
            outputs[r] = parity[r] + request.Offset;
        }
        var delta = request.Delta;
        fixed (byte* raw = _columnRaw[request.DataIndex])
        fixed (byte* prepared = _columnPrepared[request.DataIndex])
        {
            _kernel.MulAdd(&delta, 1, outputs, ParityShards, raw, prepared, request.Length, accumulate: true);
        }
    }
}
