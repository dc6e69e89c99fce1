using System.CommandLine;

namespace CloudSecReq.Gateway.Cli;

/// <summary>The <c>csr</c> command tree: <c>serve</c> and the admin subcommands, each with --help.</summary>
internal static class CsrCommandLine
{
    /// <summary>--data on every command: the gateway's data directory.</summary>
    public static readonly Option<string> Data = new("--data")
    {
        Description = "The gateway's data directory",
        DefaultValueFactory = _ => "./data",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("CloudSecReq: a secure S3-compatible storage gateway. 'csr serve' runs it; the other commands administer its data directory.");
        root.Options.Add(Data);
        root.Options.Add(AdminCall.Endpoint);
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(AdminCommands.Tenant());
        root.Subcommands.Add(AdminCommands.User());
        root.Subcommands.Add(AdminCommands.AccessKey());
        root.Subcommands.Add(AdminCommands.Key());
        root.Subcommands.Add(AdminCommands.Object());
        root.Subcommands.Add(SanitisationCommands.WithWipe(AdminCommands.Volume()));
        root.Subcommands.Add(MetadataCommands.Metadata());
        root.Subcommands.Add(ConfigCommands.Config());
        root.Subcommands.Add(HealCommands.Heal());
        root.Subcommands.Add(HealCommands.Scrub());
        root.Subcommands.Add(SanitisationCommands.Certificate());
        return root;
    }
}
