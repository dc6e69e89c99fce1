using System.CommandLine;
using System.Globalization;
using CloudSecReq.Gateway.Hosting;
using CloudSecReq.Gateway.Manifests;

namespace CloudSecReq.Gateway.Cli;

/// <summary><c>csr metadata rebuild</c>: restore the metadata database from the manifests on the volumes (docs/operations.md).</summary>
internal static class MetadataCommands
{
    public static Command Metadata()
    {
        var yes = new Option<bool>("--yes") { Description = "Do it: move the current database aside and rebuild (without it, only say what would happen)" };
        var rebuild = new Command("rebuild",
            "Rebuild the metadata database from the volumes' manifest logs: tenants, users, access keys, buckets and objects. " +
            "The gateway must be stopped. The current database is kept as meta/metadata.db.before-rebuild-<time>. " +
            "Multipart uploads in progress and the heal queue are not restored.") { yes };
        rebuild.SetAction((parse, ct) => RebuildAsync(parse.GetValue(CsrCommandLine.Data)!, parse.GetValue(yes), ct));
        return new Command("metadata", "Maintain the metadata database") { rebuild };
    }

    private static async Task<int> RebuildAsync(string dataDirectory, bool yes, CancellationToken ct)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        var database = Path.Combine(dataDirectory, "meta", "metadata.db");
        if (DataDirectory.NotADataDirectory(dataDirectory) is { } refusal)
        {
            Console.Error.WriteLine($"csr: {refusal}");
            return 1;
        }
        using var serveLock = ServeLock.TryAcquire(dataDirectory);
        if (serveLock is null)
        {
            Console.Error.WriteLine($"csr: a gateway is running on {dataDirectory} ({ServeLock.FileName} is locked): stop it first.");
            return 1;
        }
        if (!yes)
        {
            Console.WriteLine($"This rebuilds {database} from the manifests on the volumes.");
            Console.WriteLine(File.Exists(database)
                ? "The current database would be moved aside (metadata.db.before-rebuild-<time>), not deleted."
                : "There is no database now; a new one would be made.");
            Console.WriteLine("Run again with --yes to do it.");
            return 2;
        }
        var movedTo = MoveAside(database);
        if (movedTo is not null)
        {
            Console.WriteLine($"moved the old database to {movedTo}");
        }
        try
        {
            await using var data = await DataDirectory.OpenAsync(dataDirectory, TimeProvider.System, createVolumes: false, initialise: false, ct);
            var summary = await new MetadataRebuild(data.Store, data.Volumes, data.Manifests, data.Clock).RunAsync(ct);
            Print(summary);
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or Kms.Api.KmsException)
        {
            Console.Error.WriteLine($"csr: the rebuild failed: {e.Message}");
            if (movedTo is not null)
            {
                Console.Error.WriteLine($"csr: the old database is at {movedTo}; the partial new one at {database}.");
            }
            return 1;
        }
    }

    /// <summary>Renames the database and its WAL and shared-memory files (so that its committed transactions stay with it); returns the new name, or null when there was none.</summary>
    private static string? MoveAside(string database)
    {
        if (!File.Exists(database))
        {
            foreach (var orphan in new[] { database + "-wal", database + "-shm" }.Where(File.Exists))
            {
                File.Delete(orphan); // a WAL without its database cannot be used, and would be applied to the new one
            }
            return null;
        }
        var aside = $"{database}.before-rebuild-{TimeProvider.System.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
        foreach (var suffix in new[] { "-wal", "-shm", "" })
        {
            if (File.Exists(database + suffix))
            {
                File.Move(database + suffix, aside + suffix);
            }
        }
        Storage.Fsync.Directory(Path.GetDirectoryName(database)!);
        return aside;
    }

    private static void Print(RebuildSummary s)
    {
        Console.WriteLine($"volumes scanned:      {s.VolumesScanned}");
        foreach (var v in s.VolumesNotScanned)
        {
            Console.WriteLine($"  not scanned:        {v}");
        }
        Console.WriteLine($"records read:         {s.RecordsRead} (refused: {s.RecordsSkipped}; released: {s.RecordsReleased}; damaged: {s.RecordsCorrupt})");
        Console.WriteLine(s.CatalogGeneration is { } g
            ? $"catalog:              generation {g} ({new DateTime(g, DateTimeKind.Utc):yyyy-MM-ddTHH:mm:ss.fffZ})"
            : "catalog:              NONE FOUND: no tenants or buckets restored");
        Console.WriteLine($"tenants restored:     {s.Tenants}");
        Console.WriteLine($"users restored:       {s.Users}");
        Console.WriteLine($"access keys restored: {s.AccessKeys}");
        Console.WriteLine($"buckets restored:     {s.Buckets}");
        Console.WriteLine($"objects restored:     {s.ObjectsRestored}");
        Console.WriteLine($"objects skipped:      {s.ObjectsSkipped.Count}");
        foreach (var (bucket, key, reason) in s.ObjectsSkipped)
        {
            Console.WriteLine($"  skipped {bucket}/{key}: {reason}");
        }
        Console.WriteLine($"older versions queued for overwriting: {s.SupersededQueued}");
        Console.WriteLine("Not restored: multipart uploads in progress (their parts are orphaned), the heal queue.");
    }
}
