using System.Net;

namespace CloudSecReq.Gateway.Hosting;

/// <summary>How to run a gateway: where its data lives and where it listens.</summary>
internal sealed record GatewayOptions
{
    public required string DataDirectory { get; init; }
    /// <summary>The address to listen on; port 0 picks a free port (tests).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 9443);
    /// <summary>Plain HTTP instead of HTTPS: only allowed on a loopback address.</summary>
    public bool PlainHttp { get; init; }
    /// <summary>Domains for virtual-host-style addressing (<c>bucket.domain</c>).</summary>
    public IReadOnlyList<string> Domains { get; init; } = ["s3.localhost", "localhost"];
    /// <summary>Print the first tenant's credentials and write <c>tenant-default.env</c> on first start.</summary>
    public bool CreateDefaultTenant { get; init; } = true;
    /// <summary>Only warnings and errors on the console; <see cref="LogSink"/> still gets information.</summary>
    public bool QuietConsole { get; init; }
    /// <summary>Console log lines as JSON objects (<c>csr serve --log-format json</c>) instead of text.</summary>
    public bool JsonLogs { get; init; }
    /// <summary>A further log destination (tests read what the gateway logged), at information level.</summary>
    public Microsoft.Extensions.Logging.ILoggerProvider? LogSink { get; init; }
}
