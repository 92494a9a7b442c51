using System.Globalization;
using BayesianRouter.Evaluation;
using BayesianRouter.Offline;
using Spectre.Console;

namespace BayesianRouter.Cli.Commands;

/// <summary>Renders routing-accuracy reports as tables in the layout of the paper's Table 2 (accuracy in %).</summary>
internal static class OfflineReportView
{
    private static string Label(string method) => method switch
    {
        OfflineExperiment.RouterName => "Router",
        OfflineExperiment.RouterWithoutClsName => "Router (w/o CLS)",
        RoutingSummary.BestSingle => "Best single (hindsight)",
        RoutingSummary.Majority => "Majority",
        RoutingSummary.Random => "Random",
        RoutingSummary.Oracle => "Oracle",
        _ => method,
    };

    private static IAnsiConsole Console(CliIO io)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(io.Out),
            Ansi = io.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = io.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        // Redirected output has no terminal width: give the per-domain columns room instead of Spectre's 80.
        if (!io.Interactive) console.Profile.Width = 200;
        return console;
    }

    private static string Pct(double a) => double.IsFinite(a) ? (100 * a).ToString("F2", CultureInfo.InvariantCulture) : "-";

    /// <summary>Methods in table order: single RMs, majority, random, routers, oracle.</summary>
    private static IEnumerable<(string Method, Func<RoutingScores, double> Value)> Rows(RoutingReport r)
    {
        foreach (var rm in r.Pool) yield return (rm, s => s.Single[rm]);
        yield return (RoutingSummary.Majority, s => s.Majority);
        yield return (RoutingSummary.Random, s => s.Random);
        foreach (var name in r.Filtered.All.Routers.Keys) yield return (name, s => s.Routers[name]);
        yield return (RoutingSummary.Oracle, s => s.Oracle);
    }

    public static void Write(CliIO io, RoutingReport report)
    {
        var console = Console(io);
        foreach (var (title, table) in new[]
        {
            ($"Filtered: {report.PairsFiltered} held-out pairs where some pool RM is right (oracle = 100%)", report.Filtered),
            ($"Unfiltered: all {report.Pairs} labelled held-out pairs", report.Unfiltered),
        })
        {
            console.WriteLine(title);
            var t = new Table().Border(TableBorder.Simple);
            t.AddColumn("Method");
            var domains = table.ByDomain.Count > 1 || table.ByDomain.Keys.Any(k => k != RoutingTable.NoDomain)
                ? table.ByDomain.Keys.ToArray() : [];
            foreach (var d in domains) t.AddColumn(new TableColumn(Markup.Escape($"{d} ({table.ByDomain[d].Pairs})")).RightAligned());
            t.AddColumn(new TableColumn($"All ({table.All.Pairs})").RightAligned());
            foreach (var (method, value) in Rows(report))
            {
                var cells = new List<string> { Markup.Escape(Label(method)) };
                cells.AddRange(domains.Select(d => Pct(value(table.ByDomain[d]))));
                cells.Add(Pct(value(table.All)));
                t.AddRow(cells.ToArray());
            }
            console.Write(t);
        }
    }

    public static void WriteSummary(CliIO io, RoutingSummary summary)
    {
        var console = Console(io);
        var t = new Table().Border(TableBorder.Simple);
        t.AddColumn("Method");
        t.AddColumn(new TableColumn($"Filtered, mean ± sd over {summary.Seeds} seeds").RightAligned());
        t.AddColumn(new TableColumn("Unfiltered, mean ± sd").RightAligned());
        foreach (var m in summary.Methods)
        {
            string Cell(SeedStat s) => $"{Pct(s.Mean)} ± {Pct(s.Std)}";
            t.AddRow(Markup.Escape(Label(m)), Cell(summary.Filtered[m]), Cell(summary.Unfiltered[m]));
        }
        console.Write(t);
    }
}
