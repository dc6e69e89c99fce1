using System.Text.Json;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Runs the real <c>aws</c> command (aws-cli v1, honouring AWS_ENDPOINT_URL and AWS_CA_BUNDLE from
/// <see cref="GatewayFixture.ClientEnvironment"/>) with retries off, so that a failure shows at once.
/// </summary>
internal static class AwsCli
{
    public static Task<ExternalProcess.Result> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var withRetriesOff = new Dictionary<string, string>(env)
        {
            ["AWS_MAX_ATTEMPTS"] = "1",
            ["AWS_RETRY_MODE"] = "standard",
        };
        return ExternalProcess.RunAsync("aws", args, withRetriesOff, timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>Runs and asserts success; returns stdout.</summary>
    public static async Task<string> OkAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var r = await RunAsync(env, args);
        Assert.True(r.ExitCode == 0, $"aws {string.Join(' ', args)}\n{r}");
        return r.Stdout;
    }

    /// <summary>Runs an s3api command, asserts success and parses its JSON output.</summary>
    public static async Task<JsonElement> JsonAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var stdout = await OkAsync(env, ["s3api", .. args, "--output", "json"]);
        return stdout.Trim().Length == 0 ? default : JsonDocument.Parse(stdout).RootElement.Clone();
    }

    /// <summary>Runs a command that must fail with the given S3 error code in its message.</summary>
    public static async Task FailsWithAsync(string errorCode, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var r = await RunAsync(env, args);
        Assert.True(r.ExitCode != 0, $"aws {string.Join(' ', args)} should have failed with {errorCode}\n{r}");
        Assert.True(r.Stderr.Contains(errorCode, StringComparison.Ordinal), $"aws {string.Join(' ', args)} should have failed with {errorCode}\n{r}");
    }
}
