using System.Diagnostics;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Bench;

/// Rough numbers in seconds, for iterating on kernels; the published table comes from BenchmarkDotNet.
internal static class QuickRun
{
    public static void Run(string[] args)
    {
        foreach (int bytes in new[] { 64 * 1024, 1024 * 1024 })
        {
            byte[] block = new byte[bytes];
            new Random(1).NextBytes(block);
            double crc = Measure(() => CloudSecReq.Erasure.Checksums.Crc32C.Compute(block), bytes);
            Console.WriteLine($"crc32c {bytes / 1024,5} KiB  {crc,6:F2} GB/s");
        }
        foreach (ErasureKernel kernel in BenchKernels.Selected())
        {
            foreach (Shape shape in Shape.Standard)
            {
                foreach (int shardBytes in new[] { 64 * 1024, 1024 * 1024 })
                {
                    var codec = new ReedSolomonCodec(shape.DataShards, shape.ParityShards, kernel);
                    Memory<byte>[] shards = StripeData.Create(codec.TotalShards, shardBytes);
                    bool[] present = Enumerable.Range(0, codec.TotalShards).Select(i => i >= shape.ParityShards).ToArray();
                    double encode = Measure(() => codec.Encode(shards), shape.DataShards * (long)shardBytes);
                    double rebuild = Measure(() => codec.Reconstruct(shards, present), shape.DataShards * (long)shardBytes);
                    Console.WriteLine($"{kernel,-8} {shape,-5} {shardBytes / 1024,5} KiB  encode {encode,6:F2} GB/s  reconstruct {rebuild,6:F2} GB/s");
                }
            }
        }
    }

    private static double Measure(Action action, long bytesPerCall)
    {
        // Warm up past tiered compilation, then take the best of a few timed batches.
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 300)
        {
            action();
        }
        double best = 0;
        for (int batch = 0; batch < 5; batch++)
        {
            long calls = 0;
            var timer = Stopwatch.StartNew();
            while (timer.ElapsedMilliseconds < 100)
            {
                action();
                calls++;
            }
            best = Math.Max(best, calls * bytesPerCall / timer.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
