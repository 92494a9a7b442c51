using System.CommandLine;

namespace BayesianRouter.Cli.Commands;

/// <summary>`bayesrouter data`: being built (see the open issues).</summary>
public static class DataCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("data", "Not built yet.");
        cmd.SetAction(_ => { io.Err.WriteLine("data: not built yet"); return 3; });
        return cmd;
    }
}
