using System.CommandLine;

namespace BayesianRouter.Cli.Commands;

/// <summary>`bayesrouter simulate`: being built (see the open issues).</summary>
public static class SimulateCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("simulate", "Not built yet.");
        cmd.SetAction(_ => { io.Err.WriteLine("simulate: not built yet"); return 3; });
        return cmd;
    }
}
