using BayesianRouter.Alignment.Loop;
using BayesianRouter.Simulation;
using ScottPlot;

namespace BayesianRouter.Cli.Reports;

/// <summary>The align command's PNG plots (ScottPlot, headless), each written atomically.</summary>
public static class AlignPlots
{
    public const string AccuracyFile = "policy_accuracy.png";
    public const string RoutingShareFile = "routing_share.png";
    public const string RmAccuracyFile = "rm_accuracy.png";
    public const string PeriodFile = "period_answers.png";

    public static IReadOnlyList<string> WriteAll(AlignResult r, string dir) =>
    [
        SimulationPlots.Write(Path.Combine(dir, AccuracyFile), Accuracy(r)),
        SimulationPlots.Write(Path.Combine(dir, RoutingShareFile), RoutingShare(r)),
        SimulationPlots.Write(Path.Combine(dir, RmAccuracyFile), RmAccuracy(r)),
        SimulationPlots.Write(Path.Combine(dir, PeriodFile), PeriodAnswers(r)),
    ];

    /// <summary>Policy accuracy on the validation prompts after each evaluation step, one line per method (mean over seeds).</summary>
    public static Plot Accuracy(AlignResult r)
    {
        var plt = new Plot();
        for (int i = 0; i < r.Methods.Count; i++)
        {
            var m = r.Methods[i];
            var line = plt.Add.ScatterLine(m.AccuracyOverSteps.Select(x => (double)x.Step).ToArray(), m.AccuracyOverSteps.Select(x => x.Accuracy).ToArray());
            line.LegendText = m.Name;
            line.LineWidth = m.Name == AlignMethods.Main ? 3 : 1.5f;
            // The palette has ten colours: later methods are dotted so that no two lines look alike.
            if (m.Kind == MethodKind.Oracle) line.LinePattern = LinePattern.Dashed;
            else if (i >= 10) line.LinePattern = LinePattern.Dotted;
        }
        plt.Title($"Policy accuracy over DPO steps (validation prompts, mean of {r.Seeds.Count} seeds; scenario {r.Scenario})");
        plt.XLabel("DPO step");
        plt.YLabel("greedy exact-match accuracy");
        plt.ShowLegend(Edge.Right);
        return plt;
    }

    /// <summary>The two methods whose RM curves are drawn: the bayesian-router (solid) and offline-only (dashed), or the first routers run.</summary>
    private static MethodSummary[] Compared(AlignResult r)
    {
        var main = r.Methods.FirstOrDefault(x => x.Name == AlignMethods.Main && x.ShareOverSteps.Count > 0) ?? r.Methods.FirstOrDefault(x => x.ShareOverSteps.Count > 0);
        var offline = r.Methods.FirstOrDefault(x => x.Name == MethodCatalogue.OfflineOnly && x != main && x.ShareOverSteps.Count > 0);
        return new[] { main, offline }.OfType<MethodSummary>().ToArray();
    }

    /// <summary>One line per RM and method over tenths of the run: the RM's colour, solid for the first method, dashed for the second.</summary>
    private static void RmLines(Plot plt, AlignResult r, MethodSummary[] methods, Func<MethodSummary, IReadOnlyList<IReadOnlyList<double>>> values)
    {
        var palette = new ScottPlot.Palettes.Category10();
        for (int k = 0; k < methods.Length; k++)
        {
            var rows = values(methods[k]);
            if (rows.Count == 0) continue;
            var xs = Enumerable.Range(0, rows.Count).Select(i => (i + 0.5) / rows.Count * r.Steps).ToArray();
            for (int n = 0; n < r.Pool.Count; n++)
            {
                var line = plt.Add.ScatterLine(xs, rows.Select(w => double.IsFinite(w[n]) ? w[n] : double.NaN).ToArray());
                line.LegendText = $"{r.Pool[n]} ({methods[k].Name})";
                line.LineWidth = k == 0 ? 2.5f : 1.5f;
                line.Color = palette.GetColor(n);
                if (k > 0) line.LinePattern = LinePattern.Dashed;
            }
        }
        plt.XLabel("DPO step");
        plt.ShowLegend(Edge.Right);
    }

    /// <summary>Share of pairs each RM labelled per tenth of the steps: the bayesian-router (solid) and offline-only (dashed).</summary>
    public static Plot RoutingShare(AlignResult r)
    {
        var plt = new Plot();
        var methods = Compared(r);
        RmLines(plt, r, methods, m => m.ShareOverSteps);
        plt.Title($"Routing share per RM: {string.Join(" (solid) vs ", methods.Select(m => m.Name))}{(methods.Length > 1 ? " (dashed)" : "")}; scenario {r.Scenario}");
        plt.YLabel("share of pairs routed to the RM");
        return plt;
    }

    /// <summary>Each RM's true label accuracy on the method's own policy's pairs per tenth of the steps (every RM judges every pair).</summary>
    public static Plot RmAccuracy(AlignResult r)
    {
        var plt = new Plot();
        var methods = Compared(r);
        RmLines(plt, r, methods, m => m.RmAccuracyOverSteps);
        plt.Title($"Each RM's true accuracy on the policy's own pairs: {string.Join(" (solid) vs ", methods.Select(m => m.Name))}{(methods.Length > 1 ? " (dashed)" : "")}");
        plt.YLabel("label accuracy on the pairs of the step");
        return plt;
    }

    /// <summary>Share of the policy's sampled answers that end with a period ("37.": the drift scenario's habit), per method.</summary>
    public static Plot PeriodAnswers(AlignResult r)
    {
        var plt = new Plot();
        for (int i = 0; i < r.Methods.Count; i++)
        {
            var m = r.Methods[i];
            if (m.PeriodShareOverSteps.Count == 0) continue;
            var xs = Enumerable.Range(0, m.PeriodShareOverSteps.Count).Select(w => (w + 0.5) / m.PeriodShareOverSteps.Count * r.Steps).ToArray();
            var line = plt.Add.ScatterLine(xs, m.PeriodShareOverSteps.ToArray());
            line.LegendText = m.Name;
            line.LineWidth = m.Name == AlignMethods.Main ? 3 : 1.5f;
            if (m.Kind == MethodKind.Oracle) line.LinePattern = LinePattern.Dashed;
            else if (i >= 10) line.LinePattern = LinePattern.Dotted;
        }
        plt.Title($"Answers ending with a period (the habit the drift scenario's reader rewards); scenario {r.Scenario}");
        plt.XLabel("DPO step");
        plt.YLabel("share of sampled answers");
        plt.ShowLegend(Edge.Right);
        return plt;
    }
}
