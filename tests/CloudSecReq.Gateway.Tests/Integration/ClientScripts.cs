namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// The client scripts under <c>tests/CloudSecReq.Gateway.Tests/Clients/</c> (python for boto3, node
/// for the MinIO SDK). They are used in place in the source tree, found by walking up from the
/// test assembly, so that the MinIO SDK's node_modules is installed once and reused across runs.
/// </summary>
internal static class ClientScripts
{
    private static readonly Lazy<string> s_directory = new(Find);

    public static string Directory => s_directory.Value;

    public static string PathOf(string relative) => System.IO.Path.Combine(Directory, relative);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "CloudSecReq.Gateway.Tests.csproj")))
            {
                return System.IO.Path.Combine(dir.FullName, "Clients");
            }
            var nested = System.IO.Path.Combine(dir.FullName, "tests", "CloudSecReq.Gateway.Tests", "Clients");
            if (System.IO.Directory.Exists(nested))
            {
                return nested;
            }
        }
        throw new DirectoryNotFoundException($"No tests/CloudSecReq.Gateway.Tests/Clients above {AppContext.BaseDirectory}.");
    }
}
