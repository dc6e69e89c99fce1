using System.Threading.Channels;
using CloudSecReq.Gateway.Healing;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>Waiting for the healer: a condition is checked now and again after each of its passes ends, never by polling.</summary>
internal static class HealerPasses
{
    /// <summary>
    /// Returns once <paramref name="condition"/> holds, checking it now and after every
    /// <see cref="Healer.PassEnded"/>; fails the test naming <paramref name="what"/> (and
    /// <paramref name="explain"/>, if given) when no pass makes it hold before the deadline.
    /// </summary>
    public static async Task UntilAsync(Healer healer, Func<Task<bool>> condition, string what, Func<Task<string>>? explain = null, TimeSpan? deadline = null)
    {
        var passes = Channel.CreateUnbounded<bool>();
        void OnPass(object? sender, EventArgs e) => passes.Writer.TryWrite(true);
        // Subscribed before the first check, so a pass that ends in between is not missed.
        healer.PassEnded += OnPass;
        try
        {
            using var timeout = new CancellationTokenSource(deadline ?? Eventually.DefaultDeadline);
            while (!await condition())
            {
                try
                {
                    await passes.Reader.ReadAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    var status = healer.Progress.Snapshot();
                    Assert.Fail($"Not within {(deadline ?? Eventually.DefaultDeadline).TotalSeconds} s: {what}" +
                        (explain is null ? "" : "; " + await explain()) +
                        $"; healer {status.State}, {status.WaitingReason}, last error {status.LastError}");
                }
            }
        }
        finally
        {
            healer.PassEnded -= OnPass;
        }
    }
}
