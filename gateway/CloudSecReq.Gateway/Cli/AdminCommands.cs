using System.CommandLine;
using System.Text.Json;
using CloudSecReq.Gateway.Admin;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Storage.Volumes;

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
        var create = new Command("create", "Create a tenant with its root user and print the root user's access key (the secret is shown once)") { name };
        create.SetAction((parse, ct) => AdminCall.RunAsync(parse, "POST", "tenants", new CreateTenantInput(parse.GetValue(name)!), PrintNewKey, ct));
        var list = new Command("list", "List tenants") { AdminCall.Output };
        list.SetAction((parse, ct) => AdminCall.RunAsync(parse, "GET", "tenants", null, json => Print(parse, json, "tenants", () =>
        {
            Console.WriteLine($"{"NAME",-24} {"ACCOUNT",-14} {"CREATED",-22} {"USERS",5} {"KEYS",9}  ID");
            foreach (var t in json.GetProperty("tenants").EnumerateArray())
            {
                var keys = $"{t.GetProperty("activeAccessKeys").GetInt32()}/{t.GetProperty("accessKeys").GetInt32()}";
                Console.WriteLine($"{S(t, "name"),-24} {S(t, "accountId"),-14} {t.GetProperty("createdAt").GetDateTimeOffset().UtcDateTime:yyyy-MM-dd HH:mm:ss}Z    {t.GetProperty("users").GetInt32(),5} {keys,9}  {S(t, "id")}");
            }
        }), ct));
        var delete = new Command("delete", "Delete a tenant that owns no bucket, with its users and access keys (refused while it owns buckets)") { name };
        delete.SetAction((parse, ct) => AdminCall.RunAsync(parse, "DELETE", $"tenants/{parse.GetValue(name)}", null,
            json => Console.WriteLine($"tenant {parse.GetValue(name)} deleted; access keys revoked: {Ids(json, "deletedAccessKeys")}"), ct));
        var disable = new Command("disable", "Disable every access key of a tenant (refused from the next request on)") { name };
        disable.SetAction((parse, ct) => AdminCall.RunAsync(parse, "POST", $"tenants/{parse.GetValue(name)}/disable", null,
            json => Console.WriteLine($"access keys disabled: {Ids(json, "disabledAccessKeys")}"), ct));
        return new Command("tenant", "Manage tenants (accounts) through the admin API") { create, list, delete, disable };
    }

    public static Command User()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant the user belongs to", Required = true };
        var name = new Argument<string>("name") { Description = "User name" };
        var readOnly = new Option<bool>("--read-only") { Description = "The user may only read" };
        var buckets = new Option<string[]>("--bucket") { Description = "Limit the user to this bucket; repeatable", AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Create a user in a tenant and print its access key (the secret is shown once)") { tenant, name, readOnly, buckets };
        create.SetAction((parse, ct) => AdminCall.RunAsync(parse, "POST", $"tenants/{parse.GetValue(tenant)}/users",
            new CreateUserInput(parse.GetValue(name)!, parse.GetValue(readOnly), parse.GetValue(buckets) is { Length: > 0 } b ? b : null), PrintNewKey, ct));
        var list = new Command("list", "List the users of a tenant with their access keys") { tenant, AdminCall.Output };
        list.SetAction((parse, ct) => AdminCall.RunAsync(parse, "GET", $"tenants/{parse.GetValue(tenant)}/users", null, json => Print(parse, json, "users", () =>
        {
            Console.WriteLine($"{"USER",-24} {"ACCESS",-10} {"BUCKETS",-30} ACCESS KEYS");
            foreach (var u in json.GetProperty("users").EnumerateArray())
            {
                var access = u.GetProperty("readOnly").GetBoolean() ? "read-only" : "full";
                var scope = u.GetProperty("buckets").ValueKind == JsonValueKind.Null ? "(all)" : string.Join(",", u.GetProperty("buckets").EnumerateArray().Select(x => x.GetString()));
                var keys = string.Join(",", u.GetProperty("accessKeys").EnumerateArray().Select(k => S(k, "accessKeyId") + (k.GetProperty("active").GetBoolean() ? "" : " (disabled)")));
                Console.WriteLine($"{S(u, "name"),-24} {access,-10} {scope,-30} {keys}");
            }
        }), ct));
        var user = new Option<string>("--user") { Description = "User name", Required = true };
        var addKey = new Command("add-key", "Create another access key for a user (the secret is shown once)") { tenant, user };
        addKey.SetAction((parse, ct) => AdminCall.RunAsync(parse, "POST", $"tenants/{parse.GetValue(tenant)}/users/{parse.GetValue(user)}/access-keys", null, PrintNewKey, ct));
        var delete = new Command("delete", "Delete a user and its access keys (refused from the next request on); the root user goes with its tenant") { tenant, name };
        delete.SetAction((parse, ct) => AdminCall.RunAsync(parse, "DELETE", $"tenants/{parse.GetValue(tenant)}/users/{parse.GetValue(name)}", null,
            json => Console.WriteLine($"user {parse.GetValue(name)} deleted; access keys revoked: {Ids(json, "deletedAccessKeys")}"), ct));
        var disable = new Command("disable", "Disable every access key of a user (refused from the next request on)") { tenant, name };
        disable.SetAction((parse, ct) => AdminCall.RunAsync(parse, "POST", $"tenants/{parse.GetValue(tenant)}/users/{parse.GetValue(name)}/disable", null,
            json => Console.WriteLine($"access keys disabled: {Ids(json, "disabledAccessKeys")}"), ct));
        return new Command("user", "Manage the users of a tenant through the admin API") { create, list, addKey, delete, disable };
    }

    public static Command AccessKey()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant whose access keys to list", Required = true };
        var list = new Command("list", "List a tenant's access keys (ids and state, never secrets)") { tenant, AdminCall.Output };
        list.SetAction((parse, ct) => AdminCall.RunAsync(parse, "GET", $"tenants/{parse.GetValue(tenant)}/access-keys", null, json => Print(parse, json, "accessKeys", () =>
        {
            Console.WriteLine($"{"ACCESS KEY ID",-22} {"USER",-24} {"STATE",-9} CREATED");
            foreach (var k in json.GetProperty("accessKeys").EnumerateArray())
            {
                Console.WriteLine($"{S(k, "accessKeyId"),-22} {S(k, "user"),-24} {(k.GetProperty("active").GetBoolean() ? "active" : "disabled"),-9} {k.GetProperty("createdAt").GetDateTimeOffset().UtcDateTime:yyyy-MM-dd HH:mm:ss}Z");
            }
        }), ct));
        var id = new Argument<string>("access-key-id") { Description = "Access key id" };
        Command StateChange(string verb, string description)
        {
            var command = new Command(verb, description) { id };
            command.SetAction((parse, ct) => AdminCall.RunAsync(parse, "POST", $"access-keys/{parse.GetValue(id)}/{verb}", null,
                json => Console.WriteLine($"access key {parse.GetValue(id)} {(json.GetProperty("accessKey").GetProperty("active").GetBoolean() ? "active" : "disabled")}"), ct));
            return command;
        }
        var delete = new Command("delete", "Delete an access key (refused from the next request on)") { id };
        delete.SetAction((parse, ct) => AdminCall.RunAsync(parse, "DELETE", $"access-keys/{parse.GetValue(id)}", null,
            _ => Console.WriteLine($"access key {parse.GetValue(id)} deleted"), ct));
        var deleteOld = new Option<bool>("--delete-old") { Description = "Delete the old key instead of disabling it" };
        var rotate = new Command("rotate", "Make a new access key for the same user and disable (or delete) the old one; prints the new key (the secret is shown once)") { id, deleteOld };
        rotate.SetAction((parse, ct) => AdminCall.RunAsync(parse, "POST", $"access-keys/{parse.GetValue(id)}/rotate",
            new RotateAccessKeyInput(parse.GetValue(deleteOld) ? "delete" : "disable"), json =>
            {
                PrintNewKey(json);
                Console.WriteLine($"old access key {S(json, "oldAccessKeyId")}: {S(json, "oldKey")}");
            }, ct));
        return new Command("access-key", "Manage tenants' access keys through the admin API: list, disable, enable, delete, rotate")
        {
            list, StateChange("disable", "Disable an access key (refused from the next request on)"), StateChange("enable", "Enable a disabled access key"), delete, rotate,
        };
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

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString() ?? "";

    private static string Ids(JsonElement json, string name) =>
        json.GetProperty(name).GetArrayLength() == 0 ? "(none)" : string.Join(", ", json.GetProperty(name).EnumerateArray().Select(x => x.GetString()));

    // A new key: the one place its secret is shown (stdout of the person who asked; never logged).
    private static void PrintNewKey(JsonElement json)
    {
        var k = json.GetProperty("accessKey");
        Console.WriteLine($"tenant:                {S(k, "tenant")}");
        Console.WriteLine($"user:                  {S(k, "user")}");
        Console.WriteLine($"AWS_ACCESS_KEY_ID={S(k, "accessKeyId")}");
        Console.WriteLine($"AWS_SECRET_ACCESS_KEY={S(k, "secretAccessKey")}");
    }

    // --output json: the API's answer as it came, indented; else the table.
    private static void Print(ParseResult parse, JsonElement json, string _, Action table)
    {
        if (parse.GetValue(AdminCall.Output) == "json")
        {
            Console.WriteLine(JsonSerializer.Serialize(json, s_indented));
        }
        else
        {
            table();
        }
    }

    // Console output, not HTML: '+' in a timestamp stays '+'.
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
