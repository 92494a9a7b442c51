using System.CommandLine;
using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.Evaluation;
using Spectre.Console;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter data stats FILE [--pool a,b,c] [--json]</c>: prints <see cref="PairStatistics"/>.</summary>
public static class DataStatsCommand
{
    public static Command Create(CliIO io)
    {
        var file = new Argument<string>("file") { Description = "The pair file (JSON Lines), read strictly." };
        var pool = new Option<string?>("--pool")
        {
            Description = "Comma-separated RM names forming the pool for best single RM, majority vote, oracle, " +
                "disagreement and per-domain accuracy (e.g. ArmoRM,skywork_llama3,internlm2_20b,grm_gemma); default: every RM in the file.",
        };
        var json = new Option<bool>("--json")
        {
            Description = "After the tables, print the statistics as one JSON object on the last line " +
                "(pairs, groups, rms: accuracy and tie rate, pool: names, best_single, majority, oracle, ...).",
        };
        var cmd = new Command("stats",
            "Describe a pair file: pairs and groups; per RM the accuracy (share of pairs whose preferred response it " +
            "strictly prefers; a tie or a missing judgment is not right) and tie rate; for the pool the best single " +
            "RM, majority vote (more than half of the pool right = 1, exactly half = 0.5), oracle (some pool RM right), " +
            "the best RM per domain and per group chosen with hindsight, the disagreement sets, and accuracy per domain.");
        cmd.Arguments.Add(file);
        cmd.Options.Add(pool);
        cmd.Options.Add(json);
        cmd.SetAction(r =>
        {
            var poolText = r.GetValue(pool);
            var names = poolText == null ? null : CliParsing.List(poolText, "--pool");
            var stats = PairStatistics.Compute(PairFile.Read(r.GetValue(file)!), names);
            Print(io, stats);
            if (r.GetValue(json)) io.Out.WriteLine(PairStatisticsJson.Format(stats));
            return 0;
        });
        return cmd;
    }

    private static string F(double? x) => x is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    private static IAnsiConsole Console(CliIO io)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(io.Out),
            Ansi = io.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = io.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = io.Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!io.Interactive) console.Profile.Width = 200; // piped or captured: do not wrap the tables at 80 columns
        return console;
    }

    private static void Print(CliIO io, PairStatisticsReport s)
    {
        var console = Console(io);
        console.WriteLine($"{s.Pairs} pairs, {s.Groups} groups, {s.Labelled} with a ground truth ({s.PreferredB} preferred = b), {s.Domains} domains, {s.Rms.Count} RMs");

        var rms = new Table().Title("RMs (accuracy over pairs with a ground truth; tie rate over pairs judged)")
            .AddColumns("RM", "accuracy", "right", "tie rate", "ties", "judged", "missing");
        foreach (var rm in s.Rms.OrderByDescending(x => x.Accuracy ?? -1))
            rms.AddRow(Markup.Escape(rm.Name), F(rm.Accuracy), rm.Right.ToString(CultureInfo.InvariantCulture), F(rm.TieRate),
                rm.Ties.ToString(CultureInfo.InvariantCulture), rm.Judged.ToString(CultureInfo.InvariantCulture), rm.Missing.ToString(CultureInfo.InvariantCulture));
        console.Write(rms);

        var p = s.Pool;
        if (p.Names.Count == 0) return;
        var pool = new Table().Title(Markup.Escape($"Pool: {string.Join(", ", p.Names)}")).AddColumns("", "accuracy");
        pool.AddRow(Markup.Escape($"best single ({p.BestSingle})"), F(p.BestSingleAccuracy));
        pool.AddRow("majority vote (tie or missing = vote against; half the pool = 0.5)", F(p.Majority));
        pool.AddRow("majority vote (ties and missing abstain)", F(p.MajorityAbstain));
        pool.AddRow("oracle (some pool RM right)", F(p.Oracle));
        pool.AddRow("best RM per domain, with hindsight", F(p.BestPerDomain));
        pool.AddRow("best RM per group, with hindsight", F(p.BestPerGroup));
        console.Write(pool);

        if (p.Names.Count > 1)
        {
            var d = new Table().Title("Disagreement: share of pairs where the row RM is right and the column RM is not")
                .AddColumn("right \\ not right");
            foreach (var n in p.Names) d.AddColumn(Markup.Escape(n));
            for (int a = 0; a < p.Names.Count; a++)
                d.AddRow(new[] { Markup.Escape(p.Names[a]) }.Concat(Enumerable.Range(0, p.Names.Count)
                    .Select(b => a == b ? "" : F(p.Disagreement[a][b]))).ToArray());
            console.Write(d);
        }

        if (s.ByDomain.Count > 1 || (s.ByDomain.Count == 1 && s.ByDomain[0].Domain != PairStatistics.NoDomain))
        {
            var t = new Table().Title("Accuracy per domain (pool RMs)").AddColumns("domain", "pairs");
            foreach (var n in p.Names) t.AddColumn(Markup.Escape(n));
            t.AddColumns("majority", "oracle", "best");
            foreach (var dom in s.ByDomain)
                t.AddRow(new[] { Markup.Escape(dom.Domain), dom.Pairs.ToString(CultureInfo.InvariantCulture) }
                    .Concat(p.Names.Select(n => F(dom.Accuracy[n])))
                    .Concat([F(dom.Majority), F(dom.Oracle), Markup.Escape(dom.Best)]).ToArray());
            console.Write(t);
        }
    }
}
