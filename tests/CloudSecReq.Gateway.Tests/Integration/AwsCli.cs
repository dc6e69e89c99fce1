using System.Text.Json;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// Runs the real <c>aws</c> command against the gateway (AWS_CA_BUNDLE and credentials from
/// <see cref="GatewayFixture.ClientEnvironment"/>; <c>--endpoint-url</c> passed explicitly, since
/// aws-cli releases before 1.29 / 2.13, such as Debian's 2.9, ignore AWS_ENDPOINT_URL) with retries
/// off, so that a failure shows at once.
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
        return ExternalProcess.RunAsync("aws", WithEndpoint(env, args), withRetriesOff, timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>The arguments with <c>--endpoint-url</c> from the environment added.</summary>
    public static string[] WithEndpoint(IReadOnlyDictionary<string, string> env, IEnumerable<string> args) =>
        env.TryGetValue("AWS_ENDPOINT_URL", out var endpoint) && !args.Contains("--endpoint-url") ? [.. args, "--endpoint-url", endpoint] : [.. args];

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
