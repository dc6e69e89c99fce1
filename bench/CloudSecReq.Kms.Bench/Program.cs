using System.Diagnostics;
using System.Globalization;
using System.Text;
using CloudSecReq.Kms;
using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Keys;
using CloudSecReq.Kms.Pkcs11;

// KMS throughput on a real SoftHSM2 token: GenerateDataKey and Decrypt through the binding, the data-key facade and
// the JSON API. Usage: dotnet run -c Release --project bench/CloudSecReq.Kms.Bench [-- seconds-per-case [threads]]
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
var maxThreads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
var dir = Directory.CreateTempSubdirectory("csr-kms-bench-").FullName;
try
{
    var options = KmsOptions.ForDataDirectory(dir);
    options.MaintenanceInterval = null;
    using var kms = KmsService.Open(options);
    var caller = new KmsCaller("bench", "123456789012", "arn:aws:iam::123456789012:root", true);
    var keyId = Guid.Parse(Encoding.UTF8.GetString(Slice((await kms.Api.HandleAsync(caller, "CreateKey", "{}"u8.ToArray(), default)).Json, "\"KeyId\":\"", "\"")));
    var label = TenantKeyRecord.VersionLabel(keyId.ToString(), 1);
    var context = new Dictionary<string, string> { ["bucket"] = "bench", ["object"] = "k" };
    var aad = CiphertextBlob.Aad(CiphertextBlob.Header(keyId, 1), context);
    var dataKey = new byte[32];
    var sealedKey = kms.Hsm.EncryptGcm(label, aad, dataKey);
    var facadeKey = kms.DataKeys.GenerateDataKey(caller, keyId.ToString(), context);
    var gdkJson = Encoding.UTF8.GetBytes($$$"""{"KeyId":"{{{keyId}}}","KeySpec":"AES_256","EncryptionContext":{"bucket":"bench","object":"k"}}""");
    var decJson = Encoding.UTF8.GetBytes($$$"""{"CiphertextBlob":"{{{Convert.ToBase64String(facadeKey.CiphertextBlob)}}}","EncryptionContext":{"bucket":"bench","object":"k"}}""");

    // The raw binding: one session, the token key's handle resolved once, EncryptInit+Encrypt per op.
    var handle = kms.Pool.Run(s => s.FindObjects(new AttributeTemplate().Text(Ck.CKA_LABEL, label)).Single());
    var cases = new (string Name, Action Op)[]
    {
        ("binding: C_EncryptInit+C_Encrypt AES-GCM 32 B (raw session)", () => kms.Pool.Run(s =>
        {
            Span<byte> iv = stackalloc byte[12];
            Span<byte> output = stackalloc byte[64];
            return s.EncryptAesGcm(handle, iv, aad, dataKey, output);
        })),
        ("binding: GenerateDataKey = HsmKeyStore.EncryptGcm 32 B", () => kms.Hsm.EncryptGcm(label, aad, dataKey)),
        ("binding: Decrypt = HsmKeyStore.DecryptGcm 32 B", () => kms.Hsm.DecryptGcm(label, aad, sealedKey)),
        ("facade: KmsDataKeys.GenerateDataKey", () => kms.DataKeys.GenerateDataKey(caller, keyId.ToString(), context)),
        ("facade: KmsDataKeys.Decrypt", () => kms.DataKeys.Decrypt(caller, facadeKey.CiphertextBlob, context)),
        ("KmsApi: TrentService.GenerateDataKey (JSON)", () => Check(kms.Api.HandleAsync(caller, "GenerateDataKey", gdkJson, default).GetAwaiter().GetResult())),
        ("KmsApi: TrentService.Decrypt (JSON)", () => Check(kms.Api.HandleAsync(caller, "Decrypt", decJson, default).GetAwaiter().GetResult())),
    };

    Console.WriteLine($"SoftHSM2 token in {dir}; {seconds:0.#} s per case; {Environment.ProcessorCount} cores");
    Console.WriteLine($"| case | threads | ops/s | µs/op |");
    Console.WriteLine($"| --- | ---: | ---: | ---: |");
    foreach (var (name, op) in cases)
    {
        for (var threads = 1; threads <= maxThreads; threads *= 2)
        {
            var opsPerSecond = Measure(op, threads, seconds);
            Console.WriteLine($"| {name} | {threads} | {opsPerSecond:N0} | {1e6 / opsPerSecond * threads:0.0} |");
        }
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static double Measure(Action op, int threads, double seconds)
{
    for (var i = 0; i < 200; i++)
    {
        op(); // warm up
    }

    var total = 0L;
    var stop = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
    {
        var n = 0L;
        while (stop.Elapsed.TotalSeconds < seconds)
        {
            op();
            n++;
        }

        Interlocked.Add(ref total, n);
    })).ToList();
    workers.ForEach(t => t.Start());
    workers.ForEach(t => t.Join());
    return total / stop.Elapsed.TotalSeconds;
}

static void Check(KmsResponse r)
{
    if (r.StatusCode != 200)
    {
        throw new InvalidOperationException(Encoding.UTF8.GetString(r.Json));
    }
}

static byte[] Slice(byte[] json, string start, string end)
{
    var s = Encoding.UTF8.GetString(json);
    var i = s.IndexOf(start, StringComparison.Ordinal) + start.Length;
    return Encoding.UTF8.GetBytes(s[i..s.IndexOf(end, i, StringComparison.Ordinal)]);
}
