using System.CommandLine;
using System.Text.Json;
using CloudSecReq.Gateway.Admin;
using CloudSecReq.Gateway.Auth;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Cli;

/// <summary>
/// How an admin command reaches the admin API. With <c>--endpoint</c>, or when a gateway holds the data
/// directory (<c>serve.lock</c>; its address is in <c>DATA/endpoint.url</c>), over HTTPS with an admin key
/// (<c>CSR_ADMIN_ACCESS_KEY_ID</c> and <c>CSR_ADMIN_SECRET_ACCESS_KEY</c>, else <c>DATA/admin.env</c>, which
/// must be 0600; the CA in <c>CSR_ADMIN_CA_BUNDLE</c>, else <c>DATA/tls/ca.pem</c>): the running gateway revokes at once what it disables or deletes. With no gateway
/// running, offline (first setup): the same operations run in this process on the data directory while
/// this process holds <c>serve.lock</c>, so that no gateway starts with a stale cache meanwhile. A
/// directory that is not a data directory is refused either way, and nothing is created.
/// </summary>
internal static class AdminCall
{
    public static readonly Option<string?> Endpoint = new("--endpoint")
    {
        Description = "The admin API of a running gateway (https://HOST:PORT); default: the gateway running on --data, else offline on --data",
        Recursive = true,
    };

    public static readonly Option<string> Output = new("--output")
    {
        Description = "Output format: table or json",
        DefaultValueFactory = _ => "table",
    };

    public const string AccessKeyIdVariable = "CSR_ADMIN_ACCESS_KEY_ID";
    public const string SecretVariable = "CSR_ADMIN_SECRET_ACCESS_KEY";

    /// <summary>The CA (PEM) to trust for the admin API; default DATA/tls/ca.pem when it exists, else the system's roots.</summary>
    public const string CaBundleVariable = "CSR_ADMIN_CA_BUNDLE";

    static AdminCall() => Output.AcceptOnlyFromAmong("table", "json");

    /// <summary>Runs one admin operation and hands its JSON answer (undefined for 204) to <paramref name="print"/>; exit code 0, or 1 with the error on stderr.</summary>
    public static async Task<int> RunAsync(ParseResult parse, string method, string path, object? body, Action<JsonElement> print, CancellationToken ct)
    {
        var dataPath = Path.GetFullPath(parse.GetValue(CsrCommandLine.Data)!);
        var endpointText = parse.GetValue(Endpoint);
        var credentialsFromEnvironment = Environment.GetEnvironmentVariable(AccessKeyIdVariable) is { Length: > 0 } && Environment.GetEnvironmentVariable(SecretVariable) is { Length: > 0 };
        if (!(endpointText is not null && credentialsFromEnvironment) && DataDirectory.NotADataDirectory(dataPath) is { } refusal)
        {
            return Fail(refusal);
        }
        try
        {
            (int Status, JsonElement? Body) answer;
            if (endpointText is null && ServeLock.TryAcquire(dataPath) is { } serveLock)
            {
                using (serveLock)
                {
                    answer = await OfflineAsync(dataPath, method, path, body, ct);
                }
            }
            else
            {
                var endpoint = endpointText ?? RunningEndpoint(dataPath);
                if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                {
                    return Fail($"--endpoint must be an https:// URL (got '{endpoint}').");
                }
                var (accessKeyId, secret) = Credentials(dataPath);
                var caPath = Environment.GetEnvironmentVariable(CaBundleVariable) is { Length: > 0 } bundle ? bundle : TlsCertificates.CaPath(dataPath);
                var region = File.Exists(Path.Combine(dataPath, GatewayConfig.FileName)) ? GatewayConfig.LoadOrCreate(dataPath).Region : "us-east-1";
                using var client = new AdminClient(uri, accessKeyId, secret, region, File.Exists(caPath) ? caPath : null, TimeProvider.System);
                answer = await client.SendAsync(method, path, body, ct);
            }
            if (answer.Status >= 400)
            {
                var code = answer.Body is { } e && e.TryGetProperty("code", out var c) ? c.GetString() : $"HTTP {answer.Status}";
                var message = answer.Body is { } m && m.TryGetProperty("message", out var t) ? t.GetString() : "the endpoint did not answer as the admin API does";
                return Fail($"{code}: {message}");
            }
            // A 204 has no body: the callback gets an undefined element and prints what it did.
            print(answer.Body ?? default);
            return 0;
        }
        catch (HttpRequestException e)
        {
            return Fail($"cannot reach the admin API: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or Kms.Api.KmsException)
        {
            return Fail(e.Message);
        }
    }

    private static async Task<(int, JsonElement?)> OfflineAsync(string dataPath, string method, string path, object? body, CancellationToken ct)
    {
        await using var data = await DataDirectory.OpenAsync(dataPath, TimeProvider.System, createVolumes: false, initialise: false, ct);
        var api = new AdminApi(data.Store, data.Tenants, new SigningKeyCache<Principal>(data.Tenants.ResolveAsync, data.Clock));
        var bytes = body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body, AdminJson.Options);
        try
        {
            var result = await api.HandleAsync(method, path.Split('/'), bytes, ct);
            return (result.Status, result.Body is null ? null : JsonSerializer.SerializeToElement(result.Body, AdminJson.Options));
        }
        catch (AdminException e)
        {
            return (AdminErrorTable.Of(e.Code).Status, JsonSerializer.SerializeToElement(new { code = e.Code.ToString(), message = e.Message }, AdminJson.Options));
        }
    }

    private static string RunningEndpoint(string dataPath)
    {
        var file = GatewayHost.EndpointFileOf(dataPath);
        return File.Exists(file)
            ? File.ReadAllText(file).Trim()
            : throw new InvalidOperationException($"A gateway holds {dataPath} but has not written {file}; pass --endpoint.");
    }

    // The environment first (a remote gateway, a secrets manager), else DATA/admin.env, which must be private.
    private static (string AccessKeyId, string Secret) Credentials(string dataPath)
    {
        if (Environment.GetEnvironmentVariable(AccessKeyIdVariable) is { Length: > 0 } id && Environment.GetEnvironmentVariable(SecretVariable) is { Length: > 0 } secret)
        {
            return (id, secret);
        }
        var file = DataDirectory.AdminEnvPathOf(dataPath);
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"No admin credentials: set {AccessKeyIdVariable} and {SecretVariable}, or run on the gateway's host where {file} is.");
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new InvalidOperationException($"{file} is readable by group or others: refused. chmod 600 it (and consider its key exposed).");
        }
        var values = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.StartsWith("export ", StringComparison.Ordinal))
            .Select(l => l["export ".Length..].Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return values.TryGetValue(AccessKeyIdVariable, out var fileId) && values.TryGetValue(SecretVariable, out var fileSecret)
            ? (fileId, fileSecret)
            : throw new InvalidOperationException($"{file} does not hold {AccessKeyIdVariable} and {SecretVariable}.");
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"csr: {message}");
        return 1;
    }
}
