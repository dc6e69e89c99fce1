using System.CommandLine;
using CloudSecReq.Gateway.Hosting;

namespace CloudSecReq.Gateway.Cli;

/// <summary><c>csr config check</c>: validates DATA/csr.json without starting anything (exit 1 and one line per problem).</summary>
internal static class ConfigCommands
{
    public static Command Config()
    {
        var check = new Command("check", "Check csr.json: unknown keys, wrong types and invalid values are errors naming the key (exit code 1)");
        check.SetAction(parse =>
        {
            var data = Path.GetFullPath(parse.GetValue(CsrCommandLine.Data)!);
            if (DataDirectory.NotADataDirectory(data) is { } refusal)
            {
                Console.Error.WriteLine($"csr: {refusal}");
                return 1;
            }
            var problems = GatewayConfigCheck.Check(data);
            foreach (var problem in problems)
            {
                Console.Error.WriteLine($"csr: {GatewayConfig.FileName}: {problem}");
            }
            if (problems.Count == 0)
            {
                Console.WriteLine($"{Path.Combine(data, GatewayConfig.FileName)}: OK");
            }
            return problems.Count == 0 ? 0 : 1;
        });
        return new Command("config", "Check the gateway's configuration") { check };
    }
}
