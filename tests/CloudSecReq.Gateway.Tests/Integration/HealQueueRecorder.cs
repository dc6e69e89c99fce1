using System.Collections.Concurrent;
using CloudSecReq.Gateway.Healing;
using CloudSecReq.Gateway.Metadata;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>Records every heal request the gateway queues from its creation until it is disposed.</summary>
internal sealed class HealQueueRecorder : IDisposable
{
    private readonly HealQueue _queue;

    public HealQueueRecorder(HealQueue queue)
    {
        _queue = queue;
        _queue.Queued += OnQueued;
    }

    public ConcurrentQueue<HealRequest> Requests { get; } = new();

    public bool Saw(string bucket, string key) => Requests.Any(r => r.Bucket == bucket && r.Key == key);

    private void OnQueued(object? sender, HealRequest request) => Requests.Enqueue(request);

    public void Dispose() => _queue.Queued -= OnQueued;
}
