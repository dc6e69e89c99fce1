using System.Diagnostics;
using CloudSecReq.Erasure.Checksums;
using CloudSecReq.Erasure.Codec;

namespace CloudSecReq.Erasure.Bench;

/// Stopwatch numbers measured exactly as the reference harnesses in bench/erasure-reference
/// measure ISA-L and klauspost/reedsolomon (0.3 s warm-up, best of 5 batches of 0.2 s, GB/s of
/// k x shard data bytes), so that bench/erasure-reference/compare.sh can put them side by side.
/// `quick` prints a readable table; `quick csv` prints the harnesses' CSV.
internal static class QuickRun
{
    public static void Run(string[] args)
    {
        var csv = args.Contains("csv");
        if (csv)
        {
            Console.WriteLine("library,shape,shard_kib,encode_gbps,reconstruct_gbps");
        }
        else
        {
            foreach (var bytes in new[] { 64 * 1024, 1024 * 1024 })
            {
                var block = new byte[bytes];
                new Random(1).NextBytes(block);
                var crc = Measure(() => Crc32C.Compute(block), bytes);
                Console.WriteLine($"crc32c {bytes / 1024,5} KiB  {crc,6:F2} GB/s");
            }
        }
        foreach (var kernel in BenchKernels.Selected())
        {
            foreach (var shape in Shape.Standard)
            {
                foreach (var shardBytes in new[] { 64 * 1024, 1024 * 1024 })
                {
                    var codec = new ReedSolomonCodec(shape.DataShards, shape.ParityShards, kernel);
                    var shards = StripeData.Create(codec.TotalShards, shardBytes);
                    var present = Enumerable.Range(0, codec.TotalShards).Select(i => i >= shape.ParityShards).ToArray();
                    var dataBytes = shape.DataShards * (long)shardBytes;
                    var encode = Measure(() => codec.Encode(shards), dataBytes);
                    var rebuild = Measure(() => codec.Reconstruct(shards, present, dataOnly: true), dataBytes);
                    Console.WriteLine(csv
                        ? $"csharp-{kernel},{shape},{shardBytes / 1024},{encode:F2},{rebuild:F2}"
                        : $"{kernel,-8} {shape,-5} {shardBytes / 1024,5} KiB  encode {encode,6:F2} GB/s  reconstruct {rebuild,6:F2} GB/s");
                }
            }
        }
    }

    private static double Measure(Action action, long bytesPerCall)
    {
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 300)
        {
            action();
        }
        double best = 0;
        for (var batch = 0; batch < 5; batch++)
        {
            long calls = 0;
            var timer = Stopwatch.StartNew();
            while (timer.ElapsedMilliseconds < 200)
            {
                action();
                calls++;
            }
            best = Math.Max(best, calls * bytesPerCall / timer.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
