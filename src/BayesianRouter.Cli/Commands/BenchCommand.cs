using System.CommandLine;

namespace BayesianRouter.Cli.Commands;

/// <summary>`bayesrouter bench`: being built (see the open issues).</summary>
public static class BenchCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("bench", "Not built yet.");
        cmd.SetAction(_ => { io.Err.WriteLine("bench: not built yet"); return 3; });
        return cmd;
    }
}
