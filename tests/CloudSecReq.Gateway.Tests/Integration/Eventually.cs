namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>Waiting for what the gateway does in the background (healing, overwriting, queueing).</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> every 100 ms; fails the test naming <paramref name="what"/> after the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var until = TimeProvider.System.GetUtcNow() + (deadline ?? DefaultDeadline);
        while (!await condition())
        {
            if (TimeProvider.System.GetUtcNow() > until)
            {
                Assert.Fail($"Not within {(deadline ?? DefaultDeadline).TotalSeconds} s: {what}");
            }
            await Task.Delay(100);
        }
    }
}
