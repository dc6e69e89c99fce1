using System.CommandLine;
using System.Net;
using CloudSecReq.Gateway.Hosting;

namespace CloudSecReq.Gateway.Cli;

/// <summary><c>csr serve</c>: runs the gateway in the foreground until Ctrl-C.</summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var listen = new Option<string>("--listen") { Description = "Address and port to listen on (ADDR:PORT)", DefaultValueFactory = _ => "127.0.0.1:9443" };
        var http = new Option<bool>("--http") { Description = "Serve plain HTTP instead of HTTPS (only on a loopback address)" };
        var domain = new Option<string[]>("--domain") { Description = "Domain for virtual-host-style requests (bucket.DOMAIN); repeatable", DefaultValueFactory = _ => ["s3.localhost", "localhost"] };
        var logFormat = new Option<string>("--log-format") { Description = "Console log format: text or json (one JSON object per line)", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var command = new Command("serve", "Run the gateway in the foreground") { listen, http, domain, logFormat };
        command.SetAction(async (parse, ct) =>
        {
            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var endpoint))
            {
                Console.Error.WriteLine($"csr serve: --listen must be ADDR:PORT, e.g. 127.0.0.1:9443 (got '{parse.GetValue(listen)}').");
                return 2;
            }
            var options = new GatewayOptions
            {
                DataDirectory = parse.GetValue(CsrCommandLine.Data)!,
                Listen = endpoint,
                PlainHttp = parse.GetValue(http),
                Domains = parse.GetValue(domain)!,
                JsonLogs = parse.GetValue(logFormat) == "json",
            };
            GatewayHost gateway;
            try
            {
                gateway = await GatewayHost.StartAsync(options, ct);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or Kms.Api.KmsException)
            {
                Console.Error.WriteLine($"csr serve: {e.Message}");
                return 1;
            }
            await using (gateway)
            {
                PrintWelcome(gateway);
                await gateway.WaitForShutdownAsync(ct);
            }
            return 0;
        });
        return command;
    }

    private static void PrintWelcome(GatewayHost gateway)
    {
        Console.WriteLine();
        Console.WriteLine($"CloudSecReq is serving S3 at {gateway.Endpoint}");
        if (gateway.Endpoint.Scheme == "https")
        {
            Console.WriteLine($"  CA certificate:   {gateway.CaBundlePath}");
        }
        if (gateway.CreatedDefaultTenant is { } c)
        {
            if (Console.IsOutputRedirected)
            {
                // stdout is a file, a pipe or a service manager's journal: a log, kept and shipped
                // elsewhere. The secret stays in the 0600 env file (issue 11).
                Console.WriteLine($"  First tenant 'default' created with access key id {c.AccessKeyId}.");
                Console.WriteLine($"  Its secret access key is not printed (stdout is not a terminal): it is in {gateway.Data.DefaultTenantEnvPath} (0600).");
            }
            else
            {
                Console.WriteLine("  First tenant 'default' created. Its root credentials (shown once, also in the env file below):");
                Console.WriteLine($"    AWS_ACCESS_KEY_ID={c.AccessKeyId}");
                Console.WriteLine($"    AWS_SECRET_ACCESS_KEY={c.SecretAccessKey}");
            }
        }
        if (gateway.CreatedAdminKey is { } admin)
        {
            // Like the tenant's: the secret on a terminal only; it is kept in the 0600 admin.env for `csr`.
            Console.WriteLine($"  Admin key for the csr admin commands created: {admin.AccessKeyId}, in {gateway.Data.AdminEnvPath} (0600).");
            if (!Console.IsOutputRedirected)
            {
                Console.WriteLine($"    CSR_ADMIN_ACCESS_KEY_ID={admin.AccessKeyId}");
                Console.WriteLine($"    CSR_ADMIN_SECRET_ACCESS_KEY={admin.SecretAccessKey}");
            }
        }
        if (File.Exists(gateway.Data.DefaultTenantEnvPath))
        {
            Console.WriteLine($"  Use it:  . {gateway.Data.DefaultTenantEnvPath} && aws s3 ls");
        }
        Console.WriteLine(gateway.MetricsTokenPath is { } token
            ? $"  Health: {gateway.Endpoint}health/ready   Metrics: {gateway.Endpoint}metrics (Authorization: Bearer, token in {token})"
            : $"  Health: {gateway.Endpoint}health/ready   Metrics: {gateway.Endpoint}metrics (open to all: MetricsAccess in csr.json)");
        Console.WriteLine("  Stop with Ctrl-C.");
        Console.WriteLine();
    }
}
