using System.Globalization;
using System.Text;

namespace BayesianRouter.Simulation;

/// <summary>report.md: the tables of a simulation, and an honest line per baseline on whether bayesian-router beat it.</summary>
public static class SimulationReport
{
    public const string Main = MethodCatalogue.Main;

    public static string Markdown(SimulationResult r, string? plotsNote = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Controlled simulation");
        sb.AppendLine();
        sb.AppendLine(inv, $"Pool: {string.Join(", ", r.Pool)}. Feedback: `{r.Feedback}`{(IsOracleFeedback(r) ? " (oracle feedback: an upper bound, no trainer knows which label is right)" : "")}. Split: `{r.Split}`. " +
                           $"Batches: {r.Batches}. Baseline features: {r.BaselineFeatures}. Online model: {r.OnlineModel}. Seeds: {string.Join(", ", r.Seeds)}. " +
                           $"Online pairs per seed: {string.Join(", ", r.PairsOnlinePerSeed)}; offline pairs: {string.Join(", ", r.PairsOfflinePerSeed)}.");
        if (r.PairsWithoutTruth > 0) sb.AppendLine(inv, $"{r.PairsWithoutTruth} input pairs had no ground truth and were left out.");
        sb.AppendLine();
        sb.AppendLine("Annotation accuracy = share of online pairs whose label (by the chosen RM, or the ensemble) matches the ground truth.");
        sb.AppendLine();
        sb.AppendLine(Table(r));
        sb.AppendLine("## Paired differences (bayesian-router minus each reference, seed by seed)");
        sb.AppendLine();
        sb.AppendLine(DifferenceTable(r));
        sb.AppendLine("## Does bayesian-router win?");
        sb.AppendLine();
        foreach (var line in Verdicts(r)) sb.AppendLine("- " + line);
        sb.AppendLine();
        if (r.Budgets.Count > 0)
        {
            sb.AppendLine("## Under a budget (mean cost per pair)");
            sb.AppendLine();
            sb.AppendLine("Per budget B: the cost-aware router (`bayesian-router-budget`), the RouteLLM-style `threshold` router, the " +
                          "budget-matched `random-mix`, and every single RM whose cost fits B. Cost = realised mean cost per pair (over all seeds' " +
                          "pairs); max = the highest seed's. The rows are sorted by accuracy.");
            sb.AppendLine();
            sb.AppendLine(BudgetTable(r));
            foreach (var line in BudgetVerdicts(r)) sb.AppendLine(line);
            sb.AppendLine();
        }
        if (r.OfflineRouterInfo.Count > 0)
        {
            sb.AppendLine("## Offline router per seed (nested choice and online calibration)");
            sb.AppendLine();
            foreach (var (k, v) in r.OfflineRouterInfo.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.AppendLine($"- {k}: {v}");
            sb.AppendLine();
        }
        sb.AppendLine("## Accuracy per domain (pooled over seeds)");
        sb.AppendLine();
        sb.AppendLine(DomainTable(r));
        if (plotsNote != null)
        {
            sb.AppendLine("## Plots");
            sb.AppendLine();
            sb.AppendLine(plotsNote);
        }
        return sb.ToString();
    }

    /// <summary>True for feedback that tells the router which label is right on every pair (<c>truth</c>): an upper bound.</summary>
    public static bool IsOracleFeedback(SimulationResult r) => r.Feedback == "truth";

    /// <summary>
    /// The main table: methods by mean accuracy, with spread, interval, the paired difference to offline-only (seed by
    /// seed, 95% interval), calls, cost and routing share. With one seed there is no interval ("-").
    /// </summary>
    public static string Table(SimulationResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| method | accuracy (mean) | std | 95% CI | vs offline-only (paired, 95% CI) | RM calls / pair | cost / pair | routing share (" + string.Join(" / ", r.Pool) + ") |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var m in r.Methods.OrderByDescending(m => m.Accuracy.Mean).ThenBy(m => m.Name, StringComparer.Ordinal))
        {
            string share = m.Share.Count == 0 ? "all RMs" : string.Join(" / ", r.Pool.Select(p => m.Share[p].ToString("F2", inv)));
            string name = m.Name == Main ? $"**{m.Name}**" : m.Name;
            var off = m.Name == MethodCatalogue.OfflineOnly ? null : m.DifferenceTo(MethodCatalogue.OfflineOnly);
            string vsOffline = off == null ? "" : Signed(off.Difference.Mean) + (off.Difference.HasInterval ? " " + off.Difference.Interval("+0.0000;-0.0000;0.0000") : "");
            string std = m.Accuracy.HasInterval ? m.Accuracy.Std.ToString("F4", inv) : "-";
            sb.AppendLine(inv, $"| {name} | {m.Accuracy.Mean:F4} | {std} | {m.Accuracy.Interval()} | {vsOffline} | {m.RmCallsPerPair:F2} | {m.CostPerPair:F2} | {share} |");
        }
        return sb.ToString();
    }

    private static string Signed(double x) => x.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);

    /// <summary>
    /// bayesian-router minus offline-only, the best single RM in hindsight, best-single-train and win-stay, seed by seed:
    /// the mean difference, its 95% interval (none with one seed) and the seeds where bayesian-router is higher.
    /// </summary>
    public static string DifferenceTable(SimulationResult r)
    {
        var main = r.Methods.FirstOrDefault(m => m.Name == Main);
        if (main == null) return "bayesian-router was not run.\n";
        var sb = new StringBuilder();
        sb.AppendLine("| reference | method | bayesian-router minus it | 95% CI | seeds higher |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var d in main.Differences)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {d.Reference} | {d.ReferenceMethod} | {Signed(d.Difference.Mean)} | {d.Difference.Interval("+0.0000;-0.0000;0.0000")} | {d.SeedsHigher}/{d.Difference.N} |");
        if (main.AccuracyPerSeed.Count < 2) sb.AppendLine().AppendLine("One seed: no interval, and no claim that one method is ahead of another beyond this stream.");
        return sb.ToString();
    }

    /// <summary>
    /// For every baseline: did bayesian-router's mean accuracy beat it, by how much, the paired 95% interval of the
    /// per-seed difference (none with one seed), and in how many seeds.
    /// </summary>
    public static IReadOnlyList<string> Verdicts(SimulationResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var main = r.Methods.FirstOrDefault(m => m.Name == Main);
        if (main == null) return ["bayesian-router was not run."];
        var lines = new List<string>();
        var best = r.BestSingle;
        foreach (var m in r.Methods.Where(m => m.Name != Main && m.Kind != MethodKind.Oracle))
        {
            var d = PairedDifference.Of(m.Name, m.Name, main.AccuracyPerSeed, m.AccuracyPerSeed);
            double diff = d.Difference.Mean;
            string label = m == best ? $"{m.Name} (best single RM in hindsight)" : m.Name;
            string verb = Verb(diff, d.Difference);
            string interval = d.Difference.HasInterval
                ? "; paired 95% interval " + d.Difference.Interval("+0.0000;-0.0000;0.0000") + (d.Difference.CiLow > 0 ? " (above zero)" : d.Difference.CiHigh < 0 ? " (below zero)" : " (includes zero)")
                : "";
            lines.Add(string.Create(inv, $"{verb} {label}: {Signed(diff)} ({main.Accuracy.Mean:F4} vs {m.Accuracy.Mean:F4}){interval}; higher in {d.SeedsHigher} of {d.Difference.N} seeds"));
        }
        var oracle = r.Methods.FirstOrDefault(m => m.Kind == MethodKind.Oracle);
        if (oracle != null) lines.Add(string.Create(inv, $"gap to the oracle: {oracle.Accuracy.Mean - main.Accuracy.Mean:F4}"));
        return lines;
    }

    /// <summary>
    /// The verb of a verdict line: "beats" only where the paired 95% interval is above zero, "does NOT beat" where it is
    /// below, "is level with" where it holds zero (a mean above zero inside the noise is not a win); with one seed, no
    /// interval, the sign in that seed.
    /// </summary>
    private static string Verb(double diff, Summary difference) =>
        Math.Abs(diff) < 1e-12 ? "ties with"
        : !difference.HasInterval ? (diff > 0 ? "is above, in its one seed," : "is below, in its one seed,")
        : difference.CiLow > 0 ? "beats"
        : difference.CiHigh < 0 ? "does NOT beat"
        : $"is level with (within noise, {(diff > 0 ? "above" : "below")} in mean)";

    /// <summary>One table of every budget: method, accuracy, spread, interval, realised cost (mean and the highest seed's), within B.</summary>
    public static string BudgetTable(SimulationResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| budget | method | accuracy (mean) | std | 95% CI | cost / pair | cost / pair, max seed | within budget |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var b in r.Budgets)
            foreach (var m in b.Methods.OrderByDescending(m => m.Accuracy.Mean).ThenBy(m => m.Name, StringComparer.Ordinal))
            {
                double max = m.CostPerSeed.DefaultIfEmpty(double.NaN).Max();
                string name = m.Name == SimulationMethods.CostAware ? $"**{m.Name}**" : m.Name;
                string std = m.Accuracy.HasInterval ? m.Accuracy.Std.ToString("F4", inv) : "-";
                sb.AppendLine(inv, $"| {b.Budget:G4} | {name} | {m.Accuracy.Mean:F4} | {std} | {m.Accuracy.Interval()} | {m.CostPerPair:F3} | {max:F3} | {(Within(max, b.Budget) ? "yes" : "**no**")} |");
            }
        return sb.ToString();
    }

    /// <summary>Whether a realised mean cost is within budget B (up to the rounding of a running sum).</summary>
    public static bool Within(double cost, double budget) => cost <= budget + 1e-9 * Math.Max(1, budget);

    /// <summary>
    /// Per budget: whether the cost-aware router beat each other method there, by how much and in how many seeds, as
    /// Markdown list lines (a budget's line, then one indented line per method).
    /// </summary>
    public static IReadOnlyList<string> BudgetVerdicts(SimulationResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        foreach (var b in r.Budgets)
        {
            var main = b.Method(SimulationMethods.CostAware);
            if (main == null) continue;
            double max = main.CostPerSeed.DefaultIfEmpty(double.NaN).Max();
            lines.Add(string.Create(inv, $"- budget {b.Budget:G4}: {SimulationMethods.CostAware} {main.Accuracy.Mean:F4} at {main.CostPerPair:F3} per pair (highest seed {max:F3}: {(Within(max, b.Budget) ? "within" : "OVER")} the budget)"));
            var best = r.Methods.Where(m => m.Kind == MethodKind.Single).MaxBy(m => m.Accuracy.Mean);
            var compare = b.Methods.Where(m => m != main).ToList();
            if (best != null && !compare.Any(m => m.Name == best.Name)) compare.Add(best);
            foreach (var m in compare)
            {
                double diff = main.Accuracy.Mean - m.Accuracy.Mean;
                var perSeed = Summary.Of(main.AccuracyPerSeed.Zip(m.AccuracyPerSeed, (a, b) => a - b).ToArray());
                int won = main.AccuracyPerSeed.Zip(m.AccuracyPerSeed).Count(p => p.First > p.Second);
                lines.Add(string.Create(inv, $"  - {Verb(diff, perSeed)} {m.Name}: {diff:+0.0000;-0.0000;0.0000} ({m.Accuracy.Mean:F4} at cost {m.CostPerPair:F3}{(m == best && !b.Methods.Contains(m) ? ", the most accurate single RM, over the budget: " + (main.CostPerPair / m.CostPerPair).ToString("P1", inv) + " of its cost" : "")}{(perSeed.HasInterval ? "; per-seed difference 95% interval " + perSeed.Interval("+0.0000;-0.0000;0.0000") : "")}); higher in {won} of {main.AccuracyPerSeed.Count} seeds"));
            }
        }
        return lines;
    }

    public static string DomainTable(SimulationResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var domains = r.Methods.SelectMany(m => m.Domains.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        var first = r.Methods[0];
        sb.AppendLine("| method | " + string.Join(" | ", domains.Select(d => $"{d} ({(first.Domains.TryGetValue(d, out var x) ? x.Pairs : 0)})")) + " |");
        sb.AppendLine("|---|" + string.Concat(domains.Select(_ => "---|")));
        foreach (var m in r.Methods.OrderByDescending(m => m.Accuracy.Mean))
            sb.AppendLine($"| {m.Name} | " + string.Join(" | ", domains.Select(d => m.Domains.TryGetValue(d, out var a) ? a.Accuracy.ToString("F3", inv) : "")) + " |");
        return sb.ToString();
    }
}
