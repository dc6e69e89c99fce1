using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Kms.Tests.Api;

/// The aws cli against KmsApi behind a minimal loopback HTTP host (what the gateway will do, minus SigV4
/// verification), including the BYOK flow with get-parameters-for-import / openssl / import-key-material.
/// Fails when the aws cli or openssl is missing (scripts/install-deps.sh test installs them).
[Collection("Hsm")]
public sealed class AwsCliTests(HsmFixture f)
{
    [Fact]
    public async Task AwsCli_ByokAndEncryptDecrypt_Work()
    {
        // scripts/install-deps.sh test installs both; a missing tool is a failure, not a skip.
        Assert.True(Installed("aws") && Installed("openssl"), "the aws cli and openssl must be installed (scripts/install-deps.sh test)");

        var tenant = HsmFixture.NewTenant();
        using var host = new LoopbackHost(f, tenant);
        var dir = Directory.CreateTempSubdirectory("csr-awscli-").FullName;
        try
        {
            string Aws(params string[] args) => Run("aws", [.. args, "--endpoint-url", host.Url, "--region", "us-east-1", "--output", "json"], dir, out _);

            var keyId = Json(Aws("kms", "create-key", "--origin", "EXTERNAL", "--description", "cli")).GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
            var p = Json(Aws("kms", "get-parameters-for-import", "--key-id", keyId, "--wrapping-algorithm", "RSAES_OAEP_SHA_1", "--wrapping-key-spec", "RSA_2048"));
            File.WriteAllBytes(Path.Combine(dir, "WrappingPublicKey.bin"), Convert.FromBase64String(p.GetProperty("PublicKey").GetString()!));
            File.WriteAllBytes(Path.Combine(dir, "ImportToken.bin"), Convert.FromBase64String(p.GetProperty("ImportToken").GetString()!));
            File.WriteAllBytes(Path.Combine(dir, "PlaintextKeyMaterial.bin"), RandomNumberGenerator.GetBytes(32));
            Run("openssl", ["pkeyutl", "-encrypt", "-in", "PlaintextKeyMaterial.bin", "-out", "EncryptedKeyMaterial.bin", "-inkey", "WrappingPublicKey.bin",
                "-keyform", "DER", "-pubin", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1"], dir, out _);
            Aws("kms", "import-key-material", "--key-id", keyId, "--encrypted-key-material", "fileb://EncryptedKeyMaterial.bin",
                "--import-token", "fileb://ImportToken.bin", "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE");
            Aws("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", keyId);

            File.WriteAllText(Path.Combine(dir, "plain.txt"), "hello from the cli");
            var blob = Json(Aws("kms", "encrypt", "--key-id", "alias/cli", "--plaintext", "fileb://plain.txt", "--encryption-context", "bucket=b1")).GetProperty("CiphertextBlob").GetString()!;
            File.WriteAllBytes(Path.Combine(dir, "ct.bin"), Convert.FromBase64String(blob));
            var plain = Json(Aws("kms", "decrypt", "--ciphertext-blob", "fileb://ct.bin", "--encryption-context", "bucket=b1")).GetProperty("Plaintext").GetString()!;
            Assert.Equal("hello from the cli", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(plain)));

            Run("aws", ["kms", "decrypt", "--ciphertext-blob", "fileb://ct.bin", "--encryption-context", "bucket=other", "--endpoint-url", host.Url, "--region", "us-east-1"], dir, out var stderr, expectFailure: true);
            Assert.Contains("InvalidCiphertextException", stderr);
            Run("aws", ["kms", "describe-key", "--key-id", Guid.NewGuid().ToString(), "--endpoint-url", host.Url, "--region", "us-east-1"], dir, out stderr, expectFailure: true);
            Assert.Contains("NotFoundException", stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static JsonElement Json(string s)
    {
        using var doc = JsonDocument.Parse(s);
        return doc.RootElement.Clone();
    }

    private static bool Installed(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(p => File.Exists(Path.Combine(p, tool)));

    private static string Run(string tool, string[] args, string dir, out string stderr, bool expectFailure = false)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE";
        psi.Environment["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        psi.Environment["AWS_CONFIG_FILE"] = Path.Combine(dir, "no-config");
        psi.Environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(dir, "no-credentials");
        psi.Environment["AWS_MAX_ATTEMPTS"] = "1";
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var stdout = stdoutTask.Result;
        Assert.True(expectFailure ? p.ExitCode != 0 : p.ExitCode == 0, $"{tool} {string.Join(' ', args)} → {p.ExitCode}: {stderr}");
        return stdout;
    }

    private sealed class LoopbackHost : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public LoopbackHost(HsmFixture f, KmsCaller caller)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext ctx;
                    try
                    {
                        ctx = await _listener.GetContextAsync();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                    {
                        return;
                    }

                    using var body = new MemoryStream();
                    await ctx.Request.InputStream.CopyToAsync(body);
                    var target = ctx.Request.Headers["X-Amz-Target"] ?? string.Empty;
                    var response = await f.Service.Api.HandleAsync(caller, target.Replace("TrentService.", string.Empty, StringComparison.Ordinal), body.ToArray(), CancellationToken.None);
                    ctx.Response.StatusCode = response.StatusCode;
                    ctx.Response.ContentType = "application/x-amz-json-1.1";
                    ctx.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
                    await ctx.Response.OutputStream.WriteAsync(response.Json);
                    ctx.Response.Close();
                }
            });
        }

        public string Url { get; }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
