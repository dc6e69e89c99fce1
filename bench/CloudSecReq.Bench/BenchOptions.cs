using System.Globalization;

namespace CloudSecReq.Bench;

/// <summary>Command-line options. Sizes and concurrencies are lists run pairwise (one run each).</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        CloudSecReq S3 load tool: PutObject/GetObject through AWSSDK.S3, latency percentiles, memory.

        Target (one of):
          --self-host                 start a gateway in this process on a temp data dir (HTTPS; add --http for plain HTTP)
          --env FILE                  read AWS_* exports from a tenant-default.env written by the gateway
          --endpoint URL --access-key ID --secret SECRET [--ca PATH] [--region R]
                                      (missing values fall back to --env, then to AWS_* environment variables)
        Load:
          --size LIST                 object size per run, e.g. 4KiB or 4KiB,1MiB,64MiB (default 1MiB)
          --concurrency LIST          workers per run, paired with --size (one value applies to all; default 4)
          --duration T | --count N    per timed phase: 15s, 500ms, 2m (default 15s); or N operations
          --op put|get|putget|mixed   put; get (untimed fill first); putget = PUT phase then GET of the same keys
                                      (default); mixed = each worker alternates PUT and GET of its key
          --warmup T                  untimed PUT+GET before each run (default 2s; 0 to skip)
        Other:
          --bucket NAME               bucket to use (created if missing; default bench-<random>, deleted at the end)
          --keep                      leave objects and bucket in place
          --verify                    compare every GET body with what was written
          --no-checksum               only send/validate flexible checksums where S3 requires them (SDK default: CRC32)
          --sse none|s3|kms|kms-no-bucket-key|c
                                      SSE headers on each PUT (default none: the gateway's floor, SSE-S3). kms modes
                                      create a KMS key through the gateway's KMS API; c sends one random SSE-C key
                                      on every PUT and GET. With --self-host the results show the KMS (HSM) calls
                                      the gateway's bucket key cache made per 1000 PUTs
          --gateway-pid PID           also report VmHWM/VmRSS of an external gateway process
        """;

    public bool SelfHost { get; init; }
    public bool PlainHttp { get; init; }
    public string? EnvFile { get; init; }
    public string? Endpoint { get; init; }
    public string? CaPath { get; init; }
    public string? AccessKey { get; init; }
    public string? Secret { get; init; }
    public string? Region { get; init; }
    public IReadOnlyList<long> SizesBytes { get; init; } = [1L << 20];
    public IReadOnlyList<int> Concurrencies { get; init; } = [4];
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);
    public long? Count { get; init; }
    public BenchOp Op { get; init; } = BenchOp.PutGet;
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);
    public string? Bucket { get; init; }
    public bool Keep { get; init; }
    public bool Verify { get; init; }
    public bool NoChecksum { get; init; }
    public int? GatewayPid { get; init; }
    public SseMode Sse { get; init; } = SseMode.None;

    /// <summary>The (size, concurrency) pairs to run, in order.</summary>
    public IEnumerable<(long SizeBytes, int Concurrency)> Runs()
    {
        var n = Math.Max(SizesBytes.Count, Concurrencies.Count);
        for (var i = 0; i < n; i++)
        {
            yield return (SizesBytes[Math.Min(i, SizesBytes.Count - 1)], Concurrencies[Math.Min(i, Concurrencies.Count - 1)]);
        }
    }

    /// <exception cref="ArgumentException">An unknown option or a malformed value; the message says which.</exception>
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            o = name switch
            {
                "--self-host" => o with { SelfHost = true },
                "--http" => o with { PlainHttp = true },
                "--env" => o with { EnvFile = Value() },
                "--endpoint" => o with { Endpoint = Value() },
                "--ca" => o with { CaPath = Value() },
                "--access-key" => o with { AccessKey = Value() },
                "--secret" => o with { Secret = Value() },
                "--region" => o with { Region = Value() },
                "--size" => o with { SizesBytes = List(Value(), ByteSize.Parse) },
                "--concurrency" => o with { Concurrencies = List(Value(), s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)) },
                "--duration" => o with { Duration = ParseDuration(Value()), Count = null },
                "--count" => o with { Count = long.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture) },
                "--op" => o with { Op = ParseOp(Value()) },
                "--warmup" => o with { Warmup = ParseDuration(Value()) },
                "--bucket" => o with { Bucket = Value() },
                "--keep" => o with { Keep = true },
                "--verify" => o with { Verify = true },
                "--no-checksum" => o with { NoChecksum = true },
                "--sse" => o with { Sse = ParseSse(Value()) },
                "--gateway-pid" => o with { GatewayPid = int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }
        if (o.SizesBytes.Any(s => s <= 0) || o.Concurrencies.Any(c => c <= 0) || o.Count is <= 0 || o.Duration <= TimeSpan.Zero)
        {
            throw new ArgumentException("Sizes, concurrencies, --count and --duration must be positive.");
        }
        if (o.SizesBytes.Count > 1 && o.Concurrencies.Count > 1 && o.SizesBytes.Count != o.Concurrencies.Count)
        {
            throw new ArgumentException("--size and --concurrency lists must have the same length (or one of them a single value).");
        }
        if (o.PlainHttp && !o.SelfHost)
        {
            throw new ArgumentException("--http only applies to --self-host; give an http:// --endpoint otherwise.");
        }
        return o;
    }

    private static List<T> List<T>(string text, Func<string, T> parse) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse).ToList();

    private static BenchOp ParseOp(string text) => text switch
    {
        "put" => BenchOp.Put,
        "get" => BenchOp.Get,
        "putget" => BenchOp.PutGet,
        "mixed" => BenchOp.Mixed,
        _ => throw new ArgumentException($"--op must be put, get, putget or mixed, not '{text}'."),
    };

    private static SseMode ParseSse(string text) => text switch
    {
        "none" => SseMode.None,
        "s3" => SseMode.S3,
        "kms" => SseMode.Kms,
        "kms-no-bucket-key" => SseMode.KmsNoBucketKey,
        "c" => SseMode.C,
        _ => throw new ArgumentException($"--sse must be none, s3, kms, kms-no-bucket-key or c, not '{text}'."),
    };

    /// <summary>500ms, 15s, 2m, or plain seconds.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        static double Number(string s) => double.Parse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(Number(text[..^2])),
            _ when text.EndsWith('s') => TimeSpan.FromSeconds(Number(text[..^1])),
            _ when text.EndsWith('m') => TimeSpan.FromMinutes(Number(text[..^1])),
            _ => TimeSpan.FromSeconds(Number(text)),
        };
    }
}
