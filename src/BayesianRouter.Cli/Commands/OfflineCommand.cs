using System.CommandLine;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter offline</c>: train and evaluate the offline router (paper section 3.2, Table 2).</summary>
public static class OfflineCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("offline",
            "The offline router (paper section 3.2): learn from pairs with recorded RM behaviour which RM is likely right " +
            "on which kind of pair, and measure its routing accuracy on held-out pairs (the layout of the paper's Table 2).");
        cmd.Subcommands.Add(OfflineTrainCommand.Create(io));
        cmd.Subcommands.Add(OfflineEvalCommand.Create(io));
        cmd.Subcommands.Add(OfflineExperimentCommand.Create(io));
        return cmd;
    }
}
