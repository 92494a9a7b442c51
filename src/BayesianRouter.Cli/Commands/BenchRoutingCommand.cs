using System.CommandLine;

namespace BayesianRouter.Cli.Commands;

public static class BenchRoutingCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("routing", "Not built yet.");
        cmd.SetAction(_ => { io.Err.WriteLine("not built yet"); return 3; });
        return cmd;
    }
}
