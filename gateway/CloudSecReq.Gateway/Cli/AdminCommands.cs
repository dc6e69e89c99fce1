using System.CommandLine;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Volumes;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Cli;

/// <summary>
/// Admin subcommands that work on a data directory (the gateway may be running: SQLite in WAL mode
/// lets both work on it). Errors print a message and exit non-zero.
/// </summary>
internal static class AdminCommands
{
    public static Command Tenant()
    {
        var name = new Argument<string>("name") { Description = "Tenant name" };
        var create = new Command("create", "Create a tenant with its root user and print the root user's access key") { name };
        create.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            var c = await data.Tenants.CreateTenantAsync(parse.GetValue(name)!, ct);
            PrintCredentials(c);
        }, ct));
        var list = new Command("list", "List tenants");
        list.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            Console.WriteLine($"{"NAME",-24} {"ACCOUNT",-14} {"CREATED",-22} ID");
            foreach (var t in await data.Store.ListTenantsAsync(ct))
            {
                Console.WriteLine($"{t.Name,-24} {t.AccountId,-14} {t.CreatedAt:yyyy-MM-dd HH:mm:ss}Z    {t.Id}");
            }
        }, ct));
        return new Command("tenant", "Manage tenants (accounts)") { create, list };
    }

    public static Command User()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant the user belongs to", Required = true };
        var name = new Argument<string>("name") { Description = "User name" };
        var readOnly = new Option<bool>("--read-only") { Description = "The user may only read" };
        var buckets = new Option<string[]>("--bucket") { Description = "Limit the user to this bucket; repeatable", AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Create a user in a tenant and print its access key") { tenant, name, readOnly, buckets };
        create.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            var only = parse.GetValue(buckets) is { Length: > 0 } b ? b : null;
            var c = await data.Tenants.CreateUserAsync(parse.GetValue(tenant)!, parse.GetValue(name)!, new UserPolicy(parse.GetValue(readOnly), only), ct);
            PrintCredentials(c);
        }, ct));
        var list = new Command("list", "List the users of a tenant") { tenant };
        list.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            var t = await data.Store.FindTenantByNameAsync(parse.GetValue(tenant)!, ct) ?? throw new InvalidOperationException($"No tenant named '{parse.GetValue(tenant)}'.");
            var keys = await data.Store.ListAccessKeysAsync(t.Id, ct);
            Console.WriteLine($"{"USER",-24} {"ACCESS",-10} {"BUCKETS",-30} ACCESS KEYS");
            foreach (var u in await data.Store.ListUsersAsync(t.Id, ct))
            {
                var access = u.Policy.ReadOnly ? "read-only" : "full";
                var scope = u.Policy.Buckets is null ? "(all)" : string.Join(",", u.Policy.Buckets);
                Console.WriteLine($"{u.Name,-24} {access,-10} {scope,-30} {string.Join(",", keys.Where(k => k.UserName == u.Name).Select(k => k.AccessKeyId))}");
            }
        }, ct));
        var user = new Option<string>("--user") { Description = "User name", Required = true };
        var addKey = new Command("add-key", "Create another access key for a user") { tenant, user };
        addKey.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            var t = await data.Store.FindTenantByNameAsync(parse.GetValue(tenant)!, ct) ?? throw new InvalidOperationException($"No tenant named '{parse.GetValue(tenant)}'.");
            if (await data.Store.GetUserAsync(t.Id, parse.GetValue(user)!, ct) is null)
            {
                throw new InvalidOperationException($"Tenant '{t.Name}' has no user '{parse.GetValue(user)}'.");
            }
            PrintCredentials(await data.Tenants.CreateAccessKeyAsync(t, parse.GetValue(user)!, ct));
        }, ct));
        return new Command("user", "Manage the users of a tenant") { create, list, addKey };
    }

    public static Command Key()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant that owns the key", Required = true };
        var keyId = new Argument<string>("key-id") { Description = "KMS key id, key ARN or alias (alias/aws/s3 is the SSE-S3 key)" };
        var limit = new Option<int>("--limit") { Description = "Most objects to list", DefaultValueFactory = _ => 1000 };
        var dependents = new Command("dependents", "List the buckets and objects encrypted under a KMS key: what deleting it would shred") { tenant, keyId, limit };
        dependents.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            var t = await data.Store.FindTenantByNameAsync(parse.GetValue(tenant)!, ct) ?? throw new InvalidOperationException($"No tenant named '{parse.GetValue(tenant)}'.");
            var caller = new Kms.Api.KmsCaller(t.Id, t.AccountId, $"arn:aws:iam::{t.AccountId}:root", true);
            var arn = data.Kms.DataKeys.ResolveKeyArn(caller, parse.GetValue(keyId)!);
            var objects = await data.Store.ListObjectsByKmsKeyAsync(arn, parse.GetValue(limit), ct);
            var defaults = (await data.Store.ListBucketsAsync(t.Id, ct)).Where(b => b.Encryption?.KmsKeyId is { } k && (k == arn || arn.EndsWith("/" + k, StringComparison.Ordinal))).ToList();
            Console.WriteLine($"key: {arn}");
            Console.WriteLine($"buckets whose default encryption uses it: {(defaults.Count == 0 ? "(none)" : string.Join(", ", defaults.Select(b => b.Name)))}");
            Console.WriteLine($"objects encrypted under it: {objects.Count}{(objects.Count == parse.GetValue(limit) ? "+ (limit reached)" : "")}");
            foreach (var group in objects.GroupBy(o => o.Bucket))
            {
                Console.WriteLine($"  {group.Key}: {group.Count()} object(s)");
                foreach (var (_, key) in group.Take(20))
                {
                    Console.WriteLine($"    {key}");
                }
            }
        }, ct));
        return new Command("key", "Inspect tenants' KMS keys") { dependents };
    }

    public static Command Object()
    {
        var bucket = new Argument<string>("bucket") { Description = "Bucket" };
        var key = new Argument<string?>("key") { Description = "Object key; without it, the bucket's summary per site and rack", Arity = ArgumentArity.ZeroOrOne };
        var locate = new Command("locate", "Show the sites, racks, nodes and volumes that hold an object (or a bucket)") { bucket, key };
        locate.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            var locator = new Placement.ObjectLocator(data.Volumes);
            var b = parse.GetValue(bucket)!;
            if (await data.Store.GetBucketAsync(b, ct) is null)
            {
                throw new InvalidOperationException($"No bucket named '{b}'.");
            }
            if (parse.GetValue(key) is { } k)
            {
                var record = await data.Store.GetObjectAsync(b, k, ct) ?? throw new InvalidOperationException($"No object '{k}' in bucket '{b}'.");
                Console.WriteLine($"{b}/{k}  {record.Size} bytes  {record.StorageClass}");
                Console.WriteLine($"{"PART",5} {"BYTES",12}  {"LAYOUT",-18} {"SITE",-8} {"RACK",-8} {"NODE",-8} {"VOLUME",-8} STATE");
                foreach (var segment in locator.Locate(record))
                {
                    foreach (var p in segment.Pieces)
                    {
                        Console.WriteLine($"{segment.PartNumber,5} {segment.Bytes,12}  {segment.Layout,-18} {p.Site,-8} {p.Rack,-8} {p.Node,-8} {p.VolumeId,-8} {p.State}");
                    }
                }
                return;
            }
            var (objects, racks) = await locator.SummarizeBucketAsync(data.Store, b, ct);
            Console.WriteLine($"{b}: {objects} object(s)");
            Console.WriteLine($"{"SITE",-8} {"RACK",-8} {"PIECES",8} {"STORED BYTES",14}");
            foreach (var share in racks)
            {
                Console.WriteLine($"{share.Site,-8} {share.Rack,-8} {share.Pieces,8} {share.StoredBytes,14}");
            }
        }, ct));
        return new Command("object", "Inspect where objects are stored") { locate };
    }

    public static Command Volume()
    {
        var list = new Command("list", "List volumes with their labels, capacity, free space, bytes used (shard files and log segments), shard files and state (ok, fenced: why, missing: why)");
        list.SetAction((parse, ct) => RunAsync(parse, data =>
        {
            Console.WriteLine($"{"ID",-8} {"SITE",-8} {"RACK",-8} {"NODE",-8} {"TOTAL",10} {"FREE",10} {"USED",10} {"SHARDS",8}  {"PATH",-40} STATE");
            foreach (var v in data.Volumes)
            {
                var u = VolumeUsage.Measure(v);
                Console.WriteLine($"{v.Id,-8} {v.Config.Site,-8} {v.Config.Rack,-8} {v.Config.Node,-8} {Size(u.TotalBytes),10} {Size(u.FreeBytes),10} {Size(u.ShardBytes + u.LogBytes),10} {u.ShardFiles,8}  {v.Config.Path,-40} {v.StateText}");
            }
            return Task.CompletedTask;
        }, ct));

        var id = new Argument<string>("id") { Description = "Volume id (as in csr.json)" };
        var path = new Option<string>("--path") { Description = "The volume's directory (one disk each in production); relative paths are under the data directory", Required = true };
        var site = new Option<string>("--site") { Description = "Site label", Required = true };
        var rack = new Option<string>("--rack") { Description = "Rack label (racks are named within a site)", Required = true };
        var node = new Option<string>("--node") { Description = "Node label", Required = true };
        var add = new Command("add", "Add a volume to csr.json, creating its directory and signed identity (a running gateway uses it from its next start)") { id, path, site, rack, node };
        add.SetAction((parse, ct) => RunAsync(parse, data =>
        {
            var volume = data.AddVolume(new VolumeConfig(parse.GetValue(id)!, parse.GetValue(path)!, parse.GetValue(site)!, parse.GetValue(rack)!, parse.GetValue(node)!));
            Console.WriteLine($"volume {volume.Id} added: {volume.Config.Site}/{volume.Config.Rack}/{volume.Config.Node} at {volume.Config.Path}");
            Console.WriteLine("a running gateway does not re-read csr.json: restart it to place shards on this volume");
            return Task.CompletedTask;
        }, ct));

        var status = new Command("status", "Show one volume in detail: labels, identity, capacity, shard files, log segments and temporary files, and how many objects have a shard or an inline copy on it") { id };
        status.SetAction((parse, ct) => RunAsync(parse, async data =>
        {
            var volumeId = parse.GetValue(id)!;
            var v = data.Volumes.FirstOrDefault(x => x.Id == volumeId)
                ?? throw new ArgumentException($"No volume '{volumeId}' is configured in {GatewayConfig.FileName}.");
            var u = VolumeUsage.Measure(v);
            var identity = VolumeIdentity.TryRead(v.Config.Path);
            var (objects, shards) = await Placement.ObjectLocator.CountOnVolumeAsync(data.Store, v.Id, ct);
            Console.WriteLine($"volume:       {v.Id}");
            Console.WriteLine($"labels:       site={v.Config.Site} rack={v.Config.Rack} node={v.Config.Node}");
            Console.WriteLine($"path:         {v.Config.Path}");
            Console.WriteLine($"state:        {v.StateText}");
            Console.WriteLine($"identity:     {(identity is null ? "(none)" : $"created {identity.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z, " + (v.IsFenced ? "does not verify (fenced)" : v.IsUsable ? "MAC verified" : "not checked"))}");
            Console.WriteLine($"capacity:     {Size(u.TotalBytes)} total, {Size(u.FreeBytes)} free (the file system under the volume)");
            Console.WriteLine($"shard files:  {u.ShardFiles} ({Size(u.ShardBytes)})");
            Console.WriteLine($"log:          {u.LogSegments} segment(s) ({Size(u.LogBytes)}) manifests and small objects stored inline");
            Console.WriteLine($"temp files:   {u.TempFiles} ({Size(u.TempBytes)}) writes in progress or released files waiting for overwrite");
            Console.WriteLine($"index:        {objects} object(s) with {shards} shard(s) or inline copies on this volume");
        }, ct));

        var readmit = new Command("readmit", "Re-admit a fenced volume after checking its disk, or initialise the new disk of a missing one: write its identity file with a fresh MAC (a running gateway uses it within seconds)") { id };
        readmit.SetAction((parse, ct) => RunAsync(parse, data =>
        {
            var volumeId = parse.GetValue(id)!;
            var before = data.Volumes.FirstOrDefault(v => v.Id == volumeId)
                ?? throw new ArgumentException($"No volume '{volumeId}' is configured in {GatewayConfig.FileName}.");
            if (before.IsUsable)
            {
                Console.WriteLine($"volume {volumeId} is in use; nothing to do");
                return Task.CompletedTask;
            }
            var after = data.ReadmitVolume(volumeId);
            if (after.IsFenced)
            {
                throw new InvalidOperationException($"volume {volumeId} is still fenced: {after.FencedReason}");
            }
            Console.WriteLine($"volume {volumeId} re-admitted (was {before.StateText}); a running gateway uses it within a few seconds and heals its shards onto it");
            return Task.CompletedTask;
        }, ct));
        return new Command("volume", "Add and inspect storage volumes; re-admit fenced or missing ones") { add, list, status, readmit };
    }

    // Binary units, one decimal: "-" when the file system could not be asked.
    private static string Size(long? bytes)
    {
        if (bytes is not { } b)
        {
            return "-";
        }
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        var value = (double)b;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{b} B" : $"{value:F1} {units[unit]}";
    }

    private static void PrintCredentials(NewCredentials c)
    {
        Console.WriteLine($"tenant:                {c.TenantName}");
        Console.WriteLine($"user:                  {c.UserName}");
        Console.WriteLine($"AWS_ACCESS_KEY_ID={c.AccessKeyId}");
        Console.WriteLine($"AWS_SECRET_ACCESS_KEY={c.SecretAccessKey}");
    }

    private static async Task<int> RunAsync(ParseResult parse, Func<DataDirectory, Task> work, CancellationToken ct)
    {
        if (DataDirectory.NotADataDirectory(parse.GetValue(CsrCommandLine.Data)!) is { } refusal)
        {
            Console.Error.WriteLine($"csr: {refusal}");
            return 1;
        }
        try
        {
            await using var data = await DataDirectory.OpenAsync(parse.GetValue(CsrCommandLine.Data)!, TimeProvider.System, createVolumes: false, initialise: false, ct);
            await work(data);
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or Kms.Api.KmsException)
        {
            Console.Error.WriteLine($"csr: {e.Message}");
            return 1;
        }
    }
}
