using System.Diagnostics;
using System.Text;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// A real <c>csr serve</c> process on its own data directory (plain HTTP on 127.0.0.1, a free port),
/// with stdout and stderr redirected, as under a service manager. <see cref="StartAsync"/> returns once
/// the start banner is complete; <see cref="StopAsync"/> sends SIGTERM and waits for the exit.
/// </summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private static readonly string s_csr = Path.Combine(AppContext.BaseDirectory, "csr.dll");
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _banner = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(Process process) => _process = process;

    /// <summary>Everything the process wrote to stdout so far.</summary>
    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    /// <summary>Everything the process wrote to stderr so far.</summary>
    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>The endpoint from the banner's "serving S3 at" line.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <param name="extraArguments">Further <c>csr serve</c> options (e.g. <c>--log-format json</c>).</param>
    public static async Task<ServeProcess> StartAsync(string dataDirectory, params string[] extraArguments)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { s_csr, "serve", "--data", dataDirectory, "--listen", "127.0.0.1:0", "--http" }.Concat(extraArguments))
        {
            psi.ArgumentList.Add(a);
        }
        var serve = new ServeProcess(Process.Start(psi) ?? throw new InvalidOperationException("Could not start csr serve."));
        serve._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                serve._stdoutClosed.TrySetResult();
                serve._banner.TrySetResult(); // exited before the banner: the assertions below say why
                return;
            }
            lock (serve._stdout)
            {
                serve._stdout.Append(e.Data).Append('\n');
            }
            const string serving = "CloudSecReq is serving S3 at ";
            if (e.Data.StartsWith(serving, StringComparison.Ordinal))
            {
                serve.Endpoint = new Uri(e.Data[serving.Length..].Trim());
            }
            if (e.Data.Contains("Stop with Ctrl-C.", StringComparison.Ordinal))
            {
                serve._banner.TrySetResult();
            }
        };
        serve._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                serve._stderrClosed.TrySetResult();
                return;
            }
            lock (serve._stderr)
            {
                serve._stderr.Append(e.Data).Append('\n');
            }
        };
        serve._process.BeginOutputReadLine();
        serve._process.BeginErrorReadLine();
        await serve._banner.Task.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(serve.Endpoint is not null && !serve._process.HasExited, $"csr serve did not start:\nstdout:\n{serve.Stdout}\nstderr:\n{serve.Stderr}");
        return serve;
    }

    /// <summary>Stops the gateway as a service manager does (SIGTERM) and waits until it exited and its output is read.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            var kill = await ExternalProcess.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.Equal(0, kill.ExitCode);
        }
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(TimeSpan.FromMinutes(1));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
