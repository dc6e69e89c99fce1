namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// <c>csr serve</c> run as its own process with stdout redirected (a service log): what it prints
/// and the modes of what it writes under its data directory (issue 11, "Secrets and files").
/// </summary>
public sealed class ServeCommandTests
{
    private static string EnvValue(string envFile, string name) =>
        File.ReadAllLines(envFile).Single(l => l.StartsWith($"export {name}=", StringComparison.Ordinal))[$"export {name}=".Length..];

    [Fact]
    public async Task ServeBanner_StdoutRedirected_OmitsTheSecretAndNamesTheEnvFile()
    {
        using var scratch = new ScratchDirectory();
        var data = scratch["data"];
        await using var serve = await ServeProcess.StartAsync(data);
        await serve.StopAsync();

        var envFile = Path.Combine(data, "tenant-default.env");
        Assert.True(File.Exists(envFile), serve.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envFile));
        var secret = EnvValue(envFile, "AWS_SECRET_ACCESS_KEY");
        Assert.True(secret.Length >= 40);
        Assert.DoesNotContain(secret, serve.Stdout);
        Assert.DoesNotContain(secret, serve.Stderr);
        Assert.Contains(EnvValue(envFile, "AWS_ACCESS_KEY_ID"), serve.Stdout); // the access key id is no secret
        Assert.Contains(envFile, serve.Stdout.Split('\n').Single(l => l.Contains("secret access key", StringComparison.Ordinal)));
    }
}
