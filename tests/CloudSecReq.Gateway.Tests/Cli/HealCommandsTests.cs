using CloudSecReq.Gateway.Cli;
using CloudSecReq.Gateway.Healing;

namespace CloudSecReq.Gateway.Tests.Cli;

public sealed class HealCommandsTests
{
    private static readonly DateTimeOffset s_now = DateTimeOffset.Parse("2025-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Render_RunQuarterDone_DrawsBarRateAndEta()
    {
        var status = new HealStatus
        {
            State = HealStatus.Healing, UpdatedAt = s_now, StartedAt = s_now.AddHours(-1), RunStartedAt = s_now.AddSeconds(-10),
            RunObjectsDone = 5, RunBytesRebuilt = 50L << 20, RunBytesPerSecond = 5 << 20, RunObjectsPerSecond = 0.5, EtaSeconds = 30,
            QueuedObjects = 15, CurrentObject = "b/k",
        };

        var text = HealCommands.Render(status, queued: 15, s_now, scrubOnly: false);

        Assert.Contains("[" + new string('#', 8) + new string('.', 22) + "]  25%", text);
        Assert.Contains("5/20 objects", text);
        Assert.Contains("5.0 MiB/s", text);
        Assert.Contains("ETA 00:30", text);
        Assert.Contains("healing:     b/k", text);
        Assert.Contains("last scrub:  none yet", text);
    }

    [Fact]
    public void Render_WaitingAndNotUpdatedForAMinute_SaysWhyAndAsksWhetherTheGatewayRuns()
    {
        var status = new HealStatus
        {
            State = HealStatus.WaitingForVolumes, UpdatedAt = s_now.AddMinutes(-1), StartedAt = s_now.AddHours(-1),
            QueuedObjects = 3, WaitingObjects = 3, WaitingReason = "no volume in use can take shard 4",
        };

        var text = HealCommands.Render(status, queued: 3, s_now, scrubOnly: false);

        Assert.Contains("3 waiting for volumes: no volume in use can take shard 4", text);
        Assert.Contains("is the gateway running?", text);
    }

    [Fact]
    public void Render_NoStatusFile_SaysSoAndShowsTheQueue()
    {
        var text = HealCommands.Render(null, queued: 2, s_now, scrubOnly: false);

        Assert.Contains("no status yet", text);
        Assert.Contains("queue:       2 objects", text);
    }
}
