using System.Globalization;
using System.Text;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>report.md of <c>bayesrouter align</c>: the paper's Table 1 layout, the reward variants (Table 7), the pool, verdicts.</summary>
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

    /// <summary>The main table: policy accuracy (mean, 95% CI over seeds) overall and per domain, label accuracy, cost, share.</summary>
    public static string Table(AlignResult r)
    {
        var sb = new StringBuilder();
        var domains = ArithmeticTask.Domains;
        sb.AppendLine($"| method | policy accuracy (mean) | 95% CI | {string.Join(" | ", domains)} | label accuracy | RM calls / pair | routing share ({string.Join(" / ", r.Pool)}) |");
        sb.AppendLine("|---|---|---|" + string.Concat(domains.Select(_ => "---|")) + "---|---|---|");
        sb.AppendLine($"| start (supervised, no DPO) | {r.Initial.Accuracy:F4} | - | {string.Join(" | ", domains.Select(d => r.Initial.PerDomain.GetValueOrDefault(d).ToString("F3", Inv)))} | - | - | - |");
        foreach (var m in Table1Rows(r).Concat(r.Methods.Where(IsVariant)))
            sb.AppendLine(Row(r, m, Label(m.Name)));
        return sb.ToString();
    }

    private static string Row(AlignResult r, MethodSummary m, string label)
    {
        string share = m.Share.Count == 0 ? (m.Kind == MethodKind.Oracle ? "ground truth" : "all RMs")
            : string.Join(" / ", r.Pool.Select(p => m.Share.GetValueOrDefault(p).ToString("F2", Inv)));
        return string.Create(Inv,
            $"| {label} | {m.Accuracy.Mean:F4} | [{m.Accuracy.CiLow:F4}, {m.Accuracy.CiHigh:F4}] | {string.Join(" | ", ArithmeticTask.Domains.Select(d => Domain(r, m, d)))} | {m.LabelAccuracy:F3} | {m.RmCallsPerPair:F2} | {share} |");
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

    /// <summary>The pool's label accuracy per domain on the start policy's own pairs.</summary>
    public static string PoolTable(AlignResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| RM | {string.Join(" | ", ArithmeticTask.Domains)} | all |");
        sb.AppendLine("|---|" + string.Concat(ArithmeticTask.Domains.Select(_ => "---|")) + "---|");
        foreach (var (rm, acc) in r.PoolAccuracy)
            sb.AppendLine($"| {rm} | {string.Join(" | ", ArithmeticTask.Domains.Select(d => acc[d].ToString("F3", Inv)))} | {acc.Values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average().ToString("F3", Inv)} |");
        return sb.ToString();
    }

    /// <summary>Whether bayesian-router's final accuracy beats each other method, by how much, and in how many seeds.</summary>
    public static IReadOnlyList<string> Verdicts(AlignResult r)
    {
        var main = r.Methods.FirstOrDefault(m => m.Name == AlignMethods.Main);
        var lines = new List<string>();
        if (main == null) return lines;
        lines.Add(string.Create(Inv, $"bayesian-router vs the start: {main.Accuracy.Mean - r.Initial.Accuracy:+0.0000;-0.0000} ({main.Accuracy.Mean:F4} vs {r.Initial.Accuracy:F4}){(main.Accuracy.HasInterval ? $"; 95% CI [{main.Accuracy.CiLow:F4}, {main.Accuracy.CiHigh:F4}]" : "")}"));
        foreach (var m in r.Methods.Where(m => m != main))
        {
            double diff = main.Accuracy.Mean - m.Accuracy.Mean;
            int higher = main.AccuracyPerSeed.Zip(m.AccuracyPerSeed).Count(p => p.First > p.Second);
            // with one seed there is no interval, hence no claim about intervals
            bool intervals = main.Accuracy.HasInterval && m.Accuracy.HasInterval;
            bool separate = main.Accuracy.CiLow > m.Accuracy.CiHigh || main.Accuracy.CiHigh < m.Accuracy.CiLow;
            string verb = m.Kind == MethodKind.Oracle ? "gap to the oracle" : Math.Abs(diff) < 1e-9 ? "ties with" : diff > 0 ? "beats" : "does NOT beat";
            lines.Add(m.Kind == MethodKind.Oracle
                ? string.Create(Inv, $"{verb}: {-diff:+0.0000;-0.0000;0.0000} ({m.Accuracy.Mean:F4} vs {main.Accuracy.Mean:F4})")
                : string.Create(Inv, $"{verb} {m.Name}: {diff:+0.0000;-0.0000} ({main.Accuracy.Mean:F4} vs {m.Accuracy.Mean:F4}); higher in {higher} of {main.AccuracyPerSeed.Count} seeds{(intervals ? $"; 95% intervals {(separate ? "do not overlap" : "overlap")}" : "")}; RM calls/pair {main.RmCallsPerPair:F2} vs {m.RmCallsPerPair:F2}"));
        }
        return lines;
    }

    public static string Markdown(AlignResult r, string plotsNote)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Online DPO with routed RM labels: {r.Task}");
        sb.AppendLine();
        sb.AppendLine(string.Create(Inv, $"Seeds {string.Join(", ", r.Seeds)}; {r.Steps} DPO steps per method and seed; policies scored by greedy exact-match accuracy on {r.EvaluationPrompts} {r.EvaluatedOn} prompts; means over seeds with 95% Student-t intervals."));
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
        sb.AppendLine("## How often a pair's DPO loss favoured the right label");
        sb.AppendLine();
        sb.AppendLine("Share of the pairs with a strict graded truth whose DPO margin before the step favoured the better answer (the loss under the right label is then the lower one): what the routers' loss feedback can tell apart.");
        sb.AppendLine();
        sb.AppendLine(string.Join("; ", r.Methods.Where(m => double.IsFinite(m.MarginAccuracy)).Select(m => string.Create(Inv, $"{m.Name} {m.MarginAccuracy:F3}"))));
        sb.AppendLine();
        sb.AppendLine($"## The pool's label accuracy per domain on the start policy's own pairs ({r.OfflinePairs} pairs of the offline prompts)");
        sb.AppendLine();
        sb.Append(PoolTable(r));
        sb.AppendLine();
        sb.AppendLine("## Plots");
        sb.AppendLine();
        sb.AppendLine(plotsNote);
        sb.AppendLine();
        sb.AppendLine("## Settings");
        sb.AppendLine();
        foreach (var (k, v) in r.Info) sb.AppendLine($"- {k}: {v}");
        foreach (var m in r.Methods) sb.AppendLine(string.Create(Inv, $"- {m.Name}: {m.SecondsPerRun:F1} s per run"));
        return sb.ToString();
    }
}
