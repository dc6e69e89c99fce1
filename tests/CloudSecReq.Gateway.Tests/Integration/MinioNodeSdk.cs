namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// The MinIO JavaScript SDK under Clients/minio: its package-lock.json is committed, its
/// node_modules is not. scripts/install-deps.sh test installs it; otherwise the first test that
/// needs it runs <c>npm ci</c> once.
/// </summary>
internal static class MinioNodeSdk
{
    private static readonly SemaphoreSlim s_install = new(1, 1);

    public static string Directory => ClientScripts.PathOf("minio");

    public static async Task EnsureInstalledAsync()
    {
        await s_install.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(Directory, "node_modules", "minio", "package.json")))
            {
                return;
            }
            var r = await ExternalProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], workingDirectory: Directory, timeout: TimeSpan.FromMinutes(5));
            Assert.True(r.ExitCode == 0, $"npm ci in {Directory}\n{r}");
        }
        finally
        {
            s_install.Release();
        }
    }
}
