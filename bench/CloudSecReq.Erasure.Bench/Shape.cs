namespace CloudSecReq.Erasure.Bench;

/// k + m, printed as BenchmarkDotNet parameter values.
public sealed record Shape(int DataShards, int ParityShards)
{
    public static IEnumerable<Shape> Standard { get; } = [new(4, 2), new(8, 4), new(12, 4)];

    public override string ToString() => $"{DataShards}+{ParityShards}";
}
