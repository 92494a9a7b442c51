using System.CommandLine;
using BayesianRouter.RewardModels;
using BayesianRouter.Service.Export;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter export decisions</c>: every decision of a decision log as JSON Lines or Parquet (docs/integrations.md).</summary>
public static class ExportCommand
{
    public static Command Create(CliIO io)
    {
        var state = new Option<DirectoryInfo>("--state") { Description = "The state folder of a serve or label run (its decisions.db).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The file to write: JSON Lines (one decision per line), or Parquet when its name ends in .parquet. Written to a temporary name and renamed.", Required = true };
        var format = new Option<string?>("--format") { Description = "jsonl or parquet (default: from the file name)." };
        var pool = new Option<FileInfo?>("--pool") { Description = "The pool file the log was made with: each RM's cost per call for the cost column (default: 1 per call)." };
        var decisions = new Command("decisions",
            "Writes every decision of the log with its pair id, group, domain, chosen and labelling RM, propensity, cost, fallbacks, label, " +
            "feedback (kind, value, shaped reward, batch) and times, in sequence order, for your own analysis.");
        foreach (var o in new Option[] { state, output, format, pool }) decisions.Options.Add(o);
        decisions.SetAction(parse =>
        {
            var dir = parse.GetValue(state)!.FullName;
            var path = parse.GetValue(output)!.FullName;
            var kind = parse.GetValue(format) switch
            {
                null => DecisionExport.FormatOf(path),
                "jsonl" => DecisionExport.Format.JsonLines,
                "parquet" => DecisionExport.Format.Parquet,
                var f => throw new CliUsageException($"--format {f}: use jsonl or parquet"),
            };
            var folder = Path.GetDirectoryName(path)!;
            if (!Directory.Exists(folder)) throw new CliUsageException($"--out {path}: the folder {folder} does not exist");
            if (!Directory.Exists(dir)) throw new CliUsageException($"--state {dir}: no such folder");
            IReadOnlyDictionary<string, double>? costs = null;
            if (parse.GetValue(pool) is { } p) costs = PoolFile.Load(p.FullName).Rms.ToDictionary(r => r.Name, r => r.Cost, StringComparer.Ordinal);
            var rows = DecisionExport.Read(dir, costs);
            DecisionExport.Write(rows, path, kind);
            io.Err.WriteLine($"[export] {rows.Count} decisions ({rows.Count(r => r.FeedbackKind != null)} with feedback) -> {path} ({(kind == DecisionExport.Format.Parquet ? "Parquet" : "JSON Lines")})");
            return 0;
        });
        var cmd = new Command("export", "Export what a serve or label run logged.");
        cmd.Subcommands.Add(decisions);
        return cmd;
    }
}
