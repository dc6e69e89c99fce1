using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudSecReq.Bench;

/// <summary>
/// Drives one (size, concurrency) run against a bucket: N workers share one client, each runs one
/// request at a time until the phase's duration has passed or its count is used up. Latency is
/// measured around the whole request, including sending or reading the body. Each request carries
/// the SSE headers of <paramref name="sse"/>. When <paramref name="kmsCalls"/> is given (self-host: the
/// gateway's KMS call counter) it is read before and after each timed phase.
/// </summary>
internal sealed class LoadRunner(IAmazonS3 s3, string bucket, BenchOptions options, SseSettings sse, Func<long>? kmsCalls)
{
    private const int ReadBufferBytes = 1 << 20;
    private int _runNumber;

    public async Task<RunResult> RunAsync(long sizeBytes, int concurrency, CancellationToken ct)
    {
        var run = Interlocked.Increment(ref _runNumber);
        var payload = new PayloadSource(sizeBytes);
        var buffers = Enumerable.Range(0, concurrency).Select(_ => new byte[ReadBufferBytes]).ToArray();
        var prefix = $"r{run}-{ByteSize.Format(sizeBytes)}";

        if (options.Warmup > TimeSpan.Zero)
        {
            var discard = new OpStats("warmup");
            await PhaseAsync(concurrency, options.Warmup, null, async (w, seq) =>
            {
                var key = $"{prefix}/warmup/{seq:D8}";
                if (await PutAsync(key, seq, payload, discard, ct))
                {
                    await GetAsync(key, seq, payload, buffers[w], discard, ct);
                }
            }, ct);
        }

        var put = new OpStats("PUT");
        var get = new OpStats("GET");
        var written = new ConcurrentBag<long>();
        Func<int, long, Task> putOp = async (_, seq) =>
        {
            if (await PutAsync($"{prefix}/{seq:D8}", seq, payload, put, ct))
            {
                written.Add(seq);
            }
        };
        if (options.Op == BenchOp.Get)
        {
            // Fill: the keys the GET phase cycles through (not reported).
            await PhaseAsync(concurrency, options.Duration, options.Count ?? concurrency * 8L, putOp, ct);
        }

        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var ops = new List<OpStats>();
        var kms = new List<KmsCallCount>();
        async Task<TimeSpan> CountedAsync(string phase, Func<Task<TimeSpan>> run, Func<long> operations)
        {
            var before = kmsCalls?.Invoke();
            var elapsed = await run();
            if (before is { } b)
            {
                kms.Add(new KmsCallCount(phase, kmsCalls!() - b, operations()));
            }
            return elapsed;
        }
        await using var sampler = new MemorySampler(options.GatewayPid);
        switch (options.Op)
        {
            case BenchOp.Put:
                put.Elapsed = await CountedAsync("PUT", () => PhaseAsync(concurrency, options.Duration, options.Count, putOp, ct), () => put.Count + put.Errors);
                ops.Add(put);
                break;
            case BenchOp.PutGet:
                put.Elapsed = await CountedAsync("PUT", () => PhaseAsync(concurrency, options.Duration, options.Count, putOp, ct), () => put.Count + put.Errors);
                get.Elapsed = await CountedAsync("GET", () => GetPhaseAsync(concurrency, prefix, written, payload, buffers, get, ct), () => get.Count + get.Errors);
                ops.Add(put);
                ops.Add(get);
                break;
            case BenchOp.Get:
                get.Elapsed = await CountedAsync("GET", () => GetPhaseAsync(concurrency, prefix, written, payload, buffers, get, ct), () => get.Count + get.Errors);
                ops.Add(get);
                break;
            case BenchOp.Mixed:
                var elapsed = await CountedAsync("PUT+GET", () => PhaseAsync(concurrency, options.Duration, options.Count, async (w, seq) =>
                {
                    var key = $"{prefix}/{seq:D8}";
                    if (await PutAsync(key, seq, payload, put, ct))
                    {
                        await GetAsync(key, seq, payload, buffers[w], get, ct);
                    }
                }, ct), () => put.Count + put.Errors + get.Count + get.Errors);
                put.Elapsed = get.Elapsed = elapsed;
                ops.Add(put);
                ops.Add(get);
                break;
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await sampler.DisposeAsync();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return new RunResult(
            sizeBytes, concurrency, ops,
            MaxWorkingSetBytes: sampler.MaxWorkingSetBytes,
            PeakWorkingSetBytes: self.PeakWorkingSet64,
            MaxGcHeapBytes: sampler.MaxGcHeapBytes,
            GcHeapAfterFullGcBytes: GC.GetTotalMemory(forceFullCollection: false),
            AllocatedBytes: allocated,
            PayloadHeldBytes: payload.HeldBytes + (long)concurrency * ReadBufferBytes,
            GatewayMaxRssBytes: options.GatewayPid is null ? null : sampler.MaxOtherRssBytes,
            GatewayPeakRssBytes: options.GatewayPid is { } pid ? MemorySampler.ProcStatusBytes(pid, "VmHWM") : null,
            KmsCalls: kms);
    }

    /// <summary>GETs cycling through the keys the PUT phase wrote, for the same duration or count.</summary>
    private async Task<TimeSpan> GetPhaseAsync(int concurrency, string prefix, ConcurrentBag<long> written, PayloadSource payload, byte[][] buffers, OpStats get, CancellationToken ct)
    {
        var seqs = written.Order().ToArray();
        if (seqs.Length == 0)
        {
            return TimeSpan.FromTicks(1);
        }
        return await PhaseAsync(concurrency, options.Duration, options.Count, async (w, i) =>
        {
            var seq = seqs[i % seqs.Length];
            await GetAsync($"{prefix}/{seq:D8}", seq, payload, buffers[w], get, ct);
        }, ct);
    }

    /// <summary>Runs <paramref name="op"/>(worker, sequence number) on each worker until the limit; returns the phase's wall time.</summary>
    private static async Task<TimeSpan> PhaseAsync(int concurrency, TimeSpan duration, long? count, Func<int, long, Task> op, CancellationToken ct)
    {
        long next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                var seq = Interlocked.Increment(ref next);
                if (count is { } c ? seq >= c : clock.Elapsed >= duration)
                {
                    break;
                }
                await op(w, seq);
            }
        }, ct));
        await Task.WhenAll(workers);
        return clock.Elapsed;
    }

    private async Task<bool> PutAsync(string key, long seq, PayloadSource payload, OpStats stats, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await using var body = payload.Open(seq);
            var request = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = body, AutoCloseStream = false };
            sse.Apply(request);
            await s3.PutObjectAsync(request, ct);
            stats.Record(start, payload.SizeBytes);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            stats.RecordError(e);
            return false;
        }
    }

    private async Task GetAsync(string key, long seq, PayloadSource payload, byte[] buffer, OpStats stats, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            var request = new GetObjectRequest { BucketName = bucket, Key = key };
            sse.Apply(request);
            using var response = await s3.GetObjectAsync(request, ct);
            long position = 0;
            int n;
            while ((n = await response.ResponseStream.ReadAsync(buffer, ct)) > 0)
            {
                if (options.Verify && !payload.Matches(seq, position, buffer.AsSpan(0, n)))
                {
                    throw new InvalidDataException($"{key}: body differs from what was written at or after byte {position}.");
                }
                position += n;
            }
            if (position != payload.SizeBytes)
            {
                throw new InvalidDataException($"{key}: read {position} bytes, wrote {payload.SizeBytes}.");
            }
            stats.Record(start, position);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            stats.RecordError(e);
        }
    }
}
