using System.Text.RegularExpressions;

namespace CloudSecReq.Gateway.Tests.Architecture;

/// <summary>
/// The documented direction (docs/architecture.md): protocol (S3/, KmsHost/, Auth/) → Objects/ →
/// Storage/, Placement/, Encryption/, ServerSideEncryption/, Manifests/, Healing/, Checksums/, Sanitisation/ →
/// Metadata/, Tenants/; Hosting/ and Cli/ compose everything and nothing refers to them. kms/ and
/// erasure/ never refer to the gateway. Read from the source: <c>using</c> directives and
/// fully-qualified <c>CloudSecReq.Gateway.&lt;Folder&gt;</c> names. Inside Storage/, the sub-folders
/// keep an order of their own (<see cref="s_storageRank"/>), read the same way.
/// </summary>
public sealed partial class DependencyDirectionTests
{
    // Lower rank: nearer the client. A folder may refer to its own rank and higher ones.
    private static readonly Dictionary<string, int> s_rank = new()
    {
        ["Hosting"] = 0, ["Cli"] = 0,
        ["S3"] = 1, ["KmsHost"] = 1, ["Admin"] = 1, ["Auth"] = 1,
        ["Objects"] = 2,
        ["Storage"] = 3, ["Placement"] = 3, ["Sanitisation"] = 3, ["Encryption"] = 3, ["ServerSideEncryption"] = 3, ["Manifests"] = 3, ["Healing"] = 3, ["Checksums"] = 3,
        ["Metadata"] = 4, ["Tenants"] = 4,
        // Metric types and the operator endpoints: everyone may feed them, they know no other folder.
        ["Observability"] = 5,
    };

    // Inside Storage/ (docs/architecture.md, "Storage"): a sub-folder may refer only to lower ranks, so
    // siblings stay apart. Storage/ itself (Fsync) is the base every layer uses. Overwrite/ and
    // RecordLog/ know nothing of volumes; Volumes/ sweep their tmp/ and own each volume's log; Shards/
    // write and read on volumes and their logs; Garbage/ overwrites what shards and logs release.
    private static readonly Dictionary<string, int> s_storageRank = new()
    {
        [""] = 0,
        ["Overwrite"] = 1, ["RecordLog"] = 1,
        ["Volumes"] = 2,
        ["Shards"] = 3,
        ["Garbage"] = 4,
    };

    [GeneratedRegex(@"\bCloudSecReq\.Gateway\.([A-Za-z0-9]+)")]
    private static partial Regex GatewayReference();

    [GeneratedRegex(@"\bCloudSecReq\.Gateway\.Storage\.([A-Za-z0-9]+)")]
    private static partial Regex StorageReference();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "gateway", "CloudSecReq.Gateway")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No gateway/CloudSecReq.Gateway above {AppContext.BaseDirectory}.");
    }

    private static IEnumerable<string> SourceFiles(string projectDirectory) =>
        Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    /// <summary>Every (folder, referenced folder, file) in the gateway, from the source text.</summary>
    internal static IEnumerable<(string From, string To, string File)> GatewayReferences(string gatewayDirectory)
    {
        foreach (var file in SourceFiles(gatewayDirectory))
        {
            var relative = Path.GetRelativePath(gatewayDirectory, file);
            var from = relative.Split(Path.DirectorySeparatorChar)[0];
            if (!s_rank.ContainsKey(from))
            {
                continue; // Program.cs
            }
            foreach (var to in GatewayReference().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).Distinct())
            {
                if (to != from && s_rank.ContainsKey(to))
                {
                    yield return (from, to, relative);
                }
            }
        }
    }

    internal static IEnumerable<string> Violations(IEnumerable<(string From, string To, string File)> references) =>
        references
            .Where(r => s_rank[r.To] < s_rank[r.From])
            .Select(r => $"{r.File}: {r.From}/ refers to {r.To}/, which is nearer the client");

    /// <summary>Every (sub-folder, referenced sub-folder or Storage/ type, file) inside Storage/; "" is Storage/ itself.</summary>
    internal static IEnumerable<(string From, string To, string File)> StorageReferences(string storageDirectory)
    {
        foreach (var file in SourceFiles(storageDirectory))
        {
            var relative = Path.GetRelativePath(storageDirectory, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            var from = parts.Length > 1 ? parts[0] : "";
            foreach (var to in StorageReference().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).Distinct())
            {
                if (to != from)
                {
                    yield return (from, to, relative);
                }
            }
        }
    }

    // A name that is no sub-folder (CloudSecReq.Gateway.Storage.Fsync) is a type of Storage/ itself: rank 0.
    internal static IEnumerable<string> StorageViolations(IEnumerable<(string From, string To, string File)> references) =>
        references
            .Where(r => s_storageRank.GetValueOrDefault(r.To) >= s_storageRank[r.From])
            .Select(r => $"Storage/{r.File}: Storage/{r.From} refers to Storage/{r.To}, which is not below it");

    [Fact]
    public void Gateway_Folders_ReferOnlyAwayFromTheClient()
    {
        var violations = Violations(GatewayReferences(Path.Combine(RepoRoot(), "gateway", "CloudSecReq.Gateway"))).ToList();
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void Auth_SharedByS3AndKms_NamesNeither()
    {
        var references = GatewayReferences(Path.Combine(RepoRoot(), "gateway", "CloudSecReq.Gateway"))
            .Where(r => r.From == "Auth" && r.To is "S3" or "KmsHost")
            .Select(r => $"{r.File} refers to {r.To}/")
            .ToList();
        Assert.True(references.Count == 0, string.Join(Environment.NewLine, references));
    }

    [Fact]
    public void Violations_UpwardUsing_IsReported()
    {
        // The check itself: Storage/ naming Objects/ (or Metadata/ naming S3/) is caught.
        Assert.Single(Violations([("Storage", "Objects", "Storage/X.cs")]));
        Assert.Single(Violations([("Metadata", "S3", "Metadata/X.cs")]));
        Assert.Empty(Violations([("S3", "Objects", "S3/X.cs"), ("Objects", "Storage", "Objects/X.cs")]));
    }

    // Persistence, placement of bytes and healing: what the object layer hides from the protocol (issue 12).
    [GeneratedRegex(@"\b(IMetadataStore|BlobStore|ManifestWriter|ObjectManifests|HealQueue|GarbageCollector|ObjectWalk)\b")]
    private static partial Regex StoreType();

    [Fact]
    public void S3_NamesNoStoreType_OnlyTheObjectLayer()
    {
        var s3 = Path.Combine(RepoRoot(), "gateway", "CloudSecReq.Gateway", "S3");
        var offending = SourceFiles(s3)
            .SelectMany(f => StoreType().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetRelativePath(s3, f)}: {m.Value}"))
            .Distinct()
            .ToList();
        Assert.True(offending.Count == 0, string.Join(Environment.NewLine, offending));
    }

    [Fact]
    public void Storage_SubFolders_ReferOnlyDownward()
    {
        var violations = StorageViolations(StorageReferences(Path.Combine(RepoRoot(), "gateway", "CloudSecReq.Gateway", "Storage"))).ToList();
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void StorageViolations_WrongWayUsing_IsReported()
    {
        Assert.Single(StorageViolations([("Volumes", "Shards", "Volumes/X.cs")]));
        Assert.Single(StorageViolations([("RecordLog", "Overwrite", "RecordLog/X.cs")]));
        Assert.Single(StorageViolations([("", "Volumes", "X.cs")]));
        Assert.Empty(StorageViolations([("Garbage", "Shards", "Garbage/X.cs"), ("Shards", "Volumes", "Shards/X.cs"),
            ("Volumes", "RecordLog", "Volumes/X.cs"), ("Overwrite", "Fsync", "Overwrite/X.cs")]));
    }

    [Fact]
    public void Storage_EverySubFolder_HasARank()
    {
        var storage = Path.Combine(RepoRoot(), "gateway", "CloudSecReq.Gateway", "Storage");
        var folders = Directory.EnumerateDirectories(storage).Select(Path.GetFileName).ToList();
        Assert.All(folders, f => Assert.True(s_storageRank.ContainsKey(f!), $"Storage/{f}/ has no place in Storage's inner order"));
    }

    [Fact]
    public void Gateway_EveryFolder_HasARank()
    {
        var gateway = Path.Combine(RepoRoot(), "gateway", "CloudSecReq.Gateway");
        var folders = Directory.EnumerateDirectories(gateway).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj")).ToList();
        Assert.All(folders, f => Assert.True(s_rank.ContainsKey(f!), $"{f}/ has no place in the documented direction"));
    }

    [Theory]
    [InlineData("kms")]
    [InlineData("erasure")]
    public void Library_NeverRefersToTheGateway(string library)
    {
        var directory = Path.Combine(RepoRoot(), library);
        var offending = SourceFiles(directory)
            .Concat(Directory.EnumerateFiles(directory, "*.csproj", SearchOption.AllDirectories))
            .Where(f => File.ReadAllText(f).Contains("CloudSecReq.Gateway", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(directory, f))
            .ToList();
        Assert.True(offending.Count == 0, string.Join(Environment.NewLine, offending));
    }
}
