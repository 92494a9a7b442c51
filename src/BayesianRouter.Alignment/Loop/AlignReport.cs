using System.Globalization;
using System.Text;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>
/// report.md of <c>bayesrouter align</c>: the paper's Table 1 layout with paired differences to the bayesian-router,
/// the reward variants (Table 7), the pool per domain, the routing share and each RM's true accuracy along training,
/// and the verdicts.
/// </summary>
public static class AlignReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Table 1's row order (<see cref="MethodCatalogue.Table1"/>): the single RMs, the ensembles and routers, the
    /// ablations, the bayesian-router followed by its other online model, any other router, then the oracle; the reward
    /// variants (Table 7) are not rows of it.
    /// </summary>
    public static IEnumerable<MethodSummary> Table1Rows(AlignResult r)
    {
        var order = MethodCatalogue.Table1(r.Pool).Where(n => n != MethodCatalogue.Oracle).ToList();
        order.InsertRange(order.IndexOf(AlignMethods.Main) + 1, [AlignMethods.ModelName(Routing.OnlineModel.Paper), AlignMethods.ModelName(Routing.OnlineModel.Hierarchical)]);
        foreach (var name in order)
            if (r.Methods.FirstOrDefault(m => m.Name == name) is { } m) yield return m;
        foreach (var m in r.Methods.Where(m => !order.Contains(m.Name) && m.Kind != MethodKind.Oracle && !IsVariant(m))) yield return m;
        if (r.Methods.FirstOrDefault(m => m.Kind == MethodKind.Oracle) is { } o) yield return o;
    }

    /// <summary>A router with a non-default reward (Table 7's rows).</summary>
    public static bool IsVariant(MethodSummary m) => m.Kind == MethodKind.Router && AlignMethods.IsRewardVariant(m.Name);

    private static string Label(string name) => name switch
    {
        MethodCatalogue.TsNoOffline => "ts-no-offline (w/o offline)",
        MethodCatalogue.OfflineOnly => "offline-only (w/o online)",
        AlignMethods.Main => "**bayesian-router**",
        _ => name,
    };

    /// <summary>
    /// The single RM a practitioner would pick without routing: the most accurate on the start's pairs of the offline
    /// prompts (what the offline router learns from; no test or validation score is read).
    /// </summary>
    public static string? BestSingleOffline(AlignResult r) =>
        r.PoolStatistics.Rms.Where(x => r.Pool.Contains(x.Name) && r.Methods.Any(m => m.Name == MethodCatalogue.SingleOf(x.Name)))
            .OrderByDescending(x => x.Accuracy ?? -1).Select(x => x.Name).FirstOrDefault();

    /// <summary>The single RM whose policy scored best (with hindsight: a stricter baseline than a practitioner has).</summary>
    public static MethodSummary? BestSingleHindsight(AlignResult r) =>
        r.Methods.Where(m => m.Kind == MethodKind.Single).OrderByDescending(m => m.Accuracy.Mean).FirstOrDefault();

    /// <summary>The main table: policy accuracy (mean, 95% CI over seeds), paired difference to the bayesian-router, per domain, label accuracy, cost, share.</summary>
    public static string Table(AlignResult r)
    {
        var sb = new StringBuilder();
        var domains = ArithmeticTask.Domains;
        sb.AppendLine($"| method | policy accuracy (mean) | 95% CI | minus bayesian-router [95% CI] (seeds higher / lower) | {string.Join(" | ", domains)} | label accuracy | RM calls / pair | routing share ({string.Join(" / ", r.Pool)}) |");
        sb.AppendLine("|---|---|---|---|" + string.Concat(domains.Select(_ => "---|")) + "---|---|---|");
        sb.AppendLine($"| start (supervised, no DPO) | {r.Initial.Accuracy.ToString("F4", Inv)} | - | - | {string.Join(" | ", domains.Select(d => r.Initial.PerDomain.GetValueOrDefault(d).ToString("F3", Inv)))} | - | - | - |");
        foreach (var m in Table1Rows(r).Concat(r.Methods.Where(IsVariant)))
            sb.AppendLine(Row(r, m, Label(m.Name)));
        return sb.ToString();
    }

    private static string Row(AlignResult r, MethodSummary m, string label)
    {
        string share = m.Share.Count == 0 ? (m.Kind == MethodKind.Oracle ? "ground truth" : "all RMs")
            : string.Join(" / ", r.Pool.Select(p => m.Share.GetValueOrDefault(p).ToString("F2", Inv)));
        return string.Create(Inv,
            $"| {label} | {m.Accuracy.Mean:F4} | [{m.Accuracy.CiLow:F4}, {m.Accuracy.CiHigh:F4}] | {Paired(m)} | {string.Join(" | ", ArithmeticTask.Domains.Select(d => Domain(r, m, d)))} | {m.LabelAccuracy:F3} | {m.RmCallsPerPair:F2} | {share} |");
    }

    private static string Paired(MethodSummary m)
    {
        if (m.Name == AlignMethods.Main) return "-";
        if (m.PairedToMain is not { } p) return "";
        var d = p.Difference;
        return string.Create(Inv, $"{d.Mean:+0.0000;-0.0000;0.0000} [{d.CiLow:+0.0000;-0.0000;0.0000}, {d.CiHigh:+0.0000;-0.0000;0.0000}]{(p.Significant ? " *" : "")} ({p.Higher} / {p.Lower})");
    }

    /// <summary>A domain's accuracy, marked when it fell below the start (the harm a flawed RM does).</summary>
    private static string Domain(AlignResult r, MethodSummary m, string d)
    {
        double v = m.AccuracyPerDomain.GetValueOrDefault(d, double.NaN);
        double start = r.Initial.PerDomain.GetValueOrDefault(d, double.NaN);
        return v < start - 0.02 ? $"{v.ToString("F3", Inv)} ↓" : v.ToString("F3", Inv);
    }

    /// <summary>The reward variants of ts-no-offline (and any other router with a variant), Table 7's layout.</summary>
    public static string RewardTable(AlignResult r)
    {
        var rows = r.Methods.Where(m => IsVariant(m) || (m.Kind == MethodKind.Router && r.Methods.Any(x => IsVariant(x) && x.Name.Split(':')[0] == m.Name))).ToArray();
        if (rows.Length < 2) return "";
        var sb = new StringBuilder();
        sb.AppendLine("| router : reward | policy accuracy (mean) | 95% CI | label accuracy | RM calls / pair |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var m in rows.OrderBy(m => m.Name.Split(':')[0]).ThenBy(m => m.Name.Contains(':') ? 0 : 1))
        {
            string name = m.Name.Contains(':') ? m.Name : $"{m.Name}:loss (batch-centred, default)";
            sb.AppendLine(string.Create(Inv, $"| {name} | {m.Accuracy.Mean:F4} | [{m.Accuracy.CiLow:F4}, {m.Accuracy.CiHigh:F4}] | {m.LabelAccuracy:F3} | {m.RmCallsPerPair:F2} |"));
        }
        return sb.ToString();
    }

    /// <summary>The pool per domain on the start's pairs: each RM's label accuracy, the majority vote's, and how often some RM is right (the best any router can do).</summary>
    public static string PoolTable(AlignResult r)
    {
        var s = r.PoolStatistics;
        var sb = new StringBuilder();
        sb.AppendLine($"| domain | pairs | {string.Join(" | ", r.Pool)} | majority | some RM right (best router) |");
        sb.AppendLine("|---|---|" + string.Concat(r.Pool.Select(_ => "---|")) + "---|---|");
        foreach (var d in s.ByDomain)
            sb.AppendLine($"| {d.Domain} | {d.Pairs} | {string.Join(" | ", r.Pool.Select(rm => d.Accuracy.GetValueOrDefault(rm, double.NaN).ToString("F3", Inv)))} | {d.Majority.ToString("F3", Inv)} | {d.Oracle.ToString("F3", Inv)} |");
        sb.AppendLine($"| all | {s.Labelled} | {string.Join(" | ", r.Pool.Select(rm => (s.Rms.FirstOrDefault(x => x.Name == rm)?.Accuracy ?? double.NaN).ToString("F3", Inv)))} | {(s.Pool.Majority ?? double.NaN).ToString("F3", Inv)} | {(s.Pool.Oracle ?? double.NaN).ToString("F3", Inv)} |");
        return sb.ToString();
    }

    /// <summary>
    /// Along training, for the routers that learn and offline-only: each RM's routing share and its true accuracy on that
    /// method's own pairs per tenth of the run, and the share of the policy's answers with a period (the drift habit).
    /// </summary>
    public static string AlongTraining(AlignResult r)
    {
        var sb = new StringBuilder();
        var shown = r.Methods.Where(m => m.Name is AlignMethods.Main or MethodCatalogue.OfflineOnly || m.Name.StartsWith(AlignMethods.Main + ":", StringComparison.Ordinal)
            || m.Name == MethodCatalogue.SingleOf(TaskRewardModels.Exploitable) || m.Kind == MethodKind.Oracle).ToArray();
        foreach (var m in shown)
        {
            if (m.RmAccuracyOverSteps.Count == 0) continue;
            sb.AppendLine($"**{m.Name}** (per tenth of the {r.Steps} steps, pooled over seeds)");
            sb.AppendLine();
            sb.AppendLine("| tenth | " + string.Join(" | ", r.Pool.Select(p => $"{p} share / accuracy")) + " | answers with a period |");
            sb.AppendLine("|---|" + string.Concat(r.Pool.Select(_ => "---|")) + "---|");
            for (int w = 0; w < m.RmAccuracyOverSteps.Count; w++)
            {
                var acc = m.RmAccuracyOverSteps[w];
                var share = w < m.ShareOverSteps.Count ? m.ShareOverSteps[w] : null;
                sb.AppendLine($"| {w + 1} | " + string.Join(" | ", r.Pool.Select((_, a) => $"{(share is null || !double.IsFinite(share[a]) ? "-" : share[a].ToString("F2", Inv))} / {(double.IsFinite(acc[a]) ? acc[a].ToString("F3", Inv) : "-")}"))
                    + $" | {(w < m.PeriodShareOverSteps.Count ? m.PeriodShareOverSteps[w].ToString("F3", Inv) : "-")} |");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>The bayesian-router against each other method: paired difference over seeds, its 95% interval, seeds ahead.</summary>
    public static IReadOnlyList<string> Verdicts(AlignResult r)
    {
        var main = r.Methods.FirstOrDefault(m => m.Name == AlignMethods.Main);
        var lines = new List<string>();
        if (main == null) return lines;
        lines.Add(string.Create(Inv, $"bayesian-router vs the start: {main.Accuracy.Mean - r.Initial.Accuracy:+0.0000;-0.0000} ({main.Accuracy.Mean:F4} vs {r.Initial.Accuracy:F4}){(main.Accuracy.HasInterval ? $"; 95% CI [{main.Accuracy.CiLow:F4}, {main.Accuracy.CiHigh:F4}]" : "")}"));
        var bestOffline = BestSingleOffline(r);
        var bestHindsight = BestSingleHindsight(r);
        foreach (var m in r.Methods.Where(m => m != main))
        {
            if (m.PairedToMain is not { } p) continue;
            var d = p.Difference;
            double diff = -d.Mean; // the bayesian-router minus the method
            var notes = new List<string>();
            if (m.Name == MethodCatalogue.SingleOf(bestOffline ?? "")) notes.Add("the best single RM on the offline pairs");
            if (m == bestHindsight) notes.Add("the best single RM on the evaluation prompts, with hindsight");
            string note = notes.Count == 0 ? "" : $" ({string.Join("; ", notes)})";
            string verdict = m.Kind == MethodKind.Oracle ? "gap to the oracle"
                : p.Significant ? (diff > 0 ? "beats" : "is BEATEN by") : d.HasInterval ? "is level with (the interval holds 0)" : "(one seed: no interval) differs from";
            lines.Add(string.Create(Inv,
                $"{verdict} {m.Name}{note}: {diff:+0.0000;-0.0000;0.0000} ({main.Accuracy.Mean:F4} vs {m.Accuracy.Mean:F4}){(d.HasInterval ? $"; paired 95% CI [{-d.CiHigh:+0.0000;-0.0000;0.0000}, {-d.CiLow:+0.0000;-0.0000;0.0000}]" : "")}; higher in {p.Lower} of {d.N} seeds, lower in {p.Higher}; RM calls/pair {main.RmCallsPerPair:F2} vs {m.RmCallsPerPair:F2}"));
        }
        return lines;
    }

    public static string Markdown(AlignResult r, string plotsNote)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Online DPO with routed RM labels: {r.Task}, scenario {r.Scenario}, feedback {r.Feedback}");
        sb.AppendLine();
        sb.AppendLine(string.Create(Inv, $"Seeds {string.Join(", ", r.Seeds)}; {r.Steps} DPO steps per method and seed; policies scored once, by greedy exact-match accuracy on {r.EvaluationPrompts} {r.EvaluatedOn} prompts (hash {r.EvaluationHash}; configuration hash {r.ConfigHash}); means over seeds with 95% Student-t intervals; paired differences to the bayesian-router over the same seeds (* : the interval excludes 0)."));
        sb.AppendLine();
        sb.AppendLine("## Policy accuracy (the paper's Table 1 layout)");
        sb.AppendLine();
        sb.AppendLine("↓ marks a domain more than 2 points below the start: the harm a flawed labeller does there.");
        sb.AppendLine();
        sb.Append(Table(r));
        sb.AppendLine();
        foreach (var v in Verdicts(r)) sb.AppendLine("- " + v);
        var rewards = RewardTable(r);
        if (rewards.Length > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Reward variants (the paper's Table 7)");
            sb.AppendLine();
            sb.Append(rewards);
        }
        sb.AppendLine();
        sb.AppendLine($"## The pool per domain on the start policy's own pairs ({r.OfflinePairs} pairs of the offline prompts)");
        sb.AppendLine();
        sb.Append(PoolTable(r));
        sb.AppendLine();
        var routing = r.ValidationRoutingAccuracy.Where(double.IsFinite).ToArray();
        if (routing.Length > 0)
            sb.AppendLine(string.Create(Inv, $"The offline router's choice is right on {routing.Average():F3} of the start's pairs of the validation prompts (seeds: {string.Join(" / ", routing.Select(x => x.ToString("F3", Inv)))})."));
        sb.AppendLine();
        sb.AppendLine("## Along training: routing share and each RM's true accuracy on the policy's own pairs");
        sb.AppendLine();
        sb.Append(AlongTraining(r));
        sb.AppendLine("## How often a pair's DPO loss favoured the right label");
        sb.AppendLine();
        sb.AppendLine("Share of the pairs with a strict graded truth whose DPO margin before the step favoured the better answer (the loss under the right label is then the lower one): what the routers' loss feedback can tell apart.");
        sb.AppendLine();
        sb.AppendLine(string.Join("; ", r.Methods.Where(m => double.IsFinite(m.MarginAccuracy)).Select(m => string.Create(Inv, $"{m.Name} {m.MarginAccuracy:F3}"))));
        sb.AppendLine();
        sb.AppendLine("## Plots");
        sb.AppendLine();
        sb.AppendLine(plotsNote);
        sb.AppendLine();
        sb.AppendLine("## Settings");
        sb.AppendLine();
        foreach (var (k, v) in r.Info) sb.AppendLine($"- {k}: {v}");
        foreach (var m in r.Methods) sb.AppendLine(string.Create(Inv, $"- {m.Name}: lr {m.LearningRate}, beta {m.Beta}, {m.SecondsPerRun:F1} s per run{(m.AuditedPairs > 0 ? $", {m.AuditedPairs} audited pairs" : "")}"));
        return sb.ToString();
    }
}
