using System.CommandLine;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter data</c>: import preference data into pair files, check them, and describe them.</summary>
public static class DataCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("data",
            "Preference data: import public formats into a pair file (JSON Lines: prompt, two responses, the ground " +
            "truth, recorded RM judgments), validate a pair file, and print its statistics (RM accuracies, majority " +
            "vote, oracle, disagreement, per domain). Format: docs/pair-file.md.");
        cmd.Subcommands.Add(DataImportCommand.Create(io));
        cmd.Subcommands.Add(DataStatsCommand.Create(io));
        cmd.Subcommands.Add(DataValidateCommand.Create(io));
        return cmd;
    }
}
