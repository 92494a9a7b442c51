using System.CommandLine;
using BayesianRouter.Data;
using BayesianRouter.Evaluation;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter data validate FILE</c>: strict read, one-line summary.</summary>
public static class DataValidateCommand
{
    public static Command Create(CliIO io)
    {
        var file = new Argument<string>("file") { Description = "The pair file (JSON Lines) to check." };
        var cmd = new Command("validate",
            "Read a pair file strictly (every line a valid pair, ids unique, scores finite, verdicts a/b/tie) and print " +
            "a one-line summary; the first problem is reported as FILE:LINE with exit code 1.");
        cmd.Arguments.Add(file);
        cmd.SetAction(r =>
        {
            var path = r.GetValue(file)!;
            var s = PairStatistics.Compute(PairFile.Read(path));
            io.Out.WriteLine($"{path}: ok: {s.Pairs} pairs, {s.Groups} groups, {s.Labelled} with a ground truth " +
                $"({s.PreferredB} preferred = b), {s.Domains} domains, {s.Rms.Count} RMs" +
                (s.Rms.Count > 0 ? $" ({string.Join(", ", s.Rms.Select(x => x.Name))})" : ""));
            return 0;
        });
        return cmd;
    }
}
