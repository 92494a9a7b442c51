using System.CommandLine;

namespace BayesianRouter.Cli.Commands;

/// <summary>`bayesrouter offline`: being built (see the open issues).</summary>
public static class OfflineCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("offline", "Not built yet.");
        cmd.SetAction(_ => { io.Err.WriteLine("offline: not built yet"); return 3; });
        return cmd;
    }
}
