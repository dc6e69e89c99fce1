using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Objects;

/// <summary>The hook from reads to healing.</summary>
internal static class ObjectFaults
{
    /// <summary>Queues <paramref name="record"/> for healing when a read worked around shard faults.</summary>
    public static Task ReportAsync(HealQueue healing, ObjectRecord record, IReadOnlyList<ShardFault> faults) =>
        faults.Count == 0
            ? Task.CompletedTask
            : healing.ReportAsync(record.Bucket, record.Key, string.Join("; ", faults.Take(4).Select(f => $"shard {f.ShardIndex}: {f.Kind}")));
}
