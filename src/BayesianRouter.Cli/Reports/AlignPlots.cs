using BayesianRouter.Alignment.Loop;
using BayesianRouter.Simulation;
using ScottPlot;

namespace BayesianRouter.Cli.Reports;

/// <summary>The align command's PNG plots (ScottPlot, headless), each written atomically.</summary>
public static class AlignPlots
{
    public const string AccuracyFile = "policy_accuracy.png";
    public const string RoutingShareFile = "routing_share.png";

    public static IReadOnlyList<string> WriteAll(AlignResult r, string dir) =>
    [
        SimulationPlots.Write(Path.Combine(dir, AccuracyFile), Accuracy(r)),
        SimulationPlots.Write(Path.Combine(dir, RoutingShareFile), RoutingShare(r)),
    ];

    /// <summary>Policy accuracy on the evaluation prompts after each evaluation step, one line per method (mean over seeds).</summary>
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
        plt.Title($"Policy accuracy over DPO steps ({r.EvaluatedOn} prompts, mean of {r.Seeds.Count} seeds)");
        plt.XLabel("DPO step");
        plt.YLabel("greedy exact-match accuracy");
        plt.ShowLegend(Edge.Right);
        return plt;
    }

    /// <summary>Share of pairs bayesian-router (or the first router) sends to each RM, per tenth of the steps.</summary>
    public static Plot RoutingShare(AlignResult r)
    {
        var plt = new Plot();
        var m = r.Methods.FirstOrDefault(x => x.Name == AlignMethods.Main && x.ShareOverSteps.Count > 0) ?? r.Methods.FirstOrDefault(x => x.ShareOverSteps.Count > 0);
        if (m != null)
        {
            var xs = Enumerable.Range(0, m.ShareOverSteps.Count).Select(i => (i + 0.5) / m.ShareOverSteps.Count * r.Steps).ToArray();
            SimulationPlots.ShareLines(plt, xs, r.Pool, m.ShareOverSteps);
            plt.Title($"Routing share of {m.Name} over DPO steps");
        }
        plt.XLabel("DPO step");
        return plt;
    }
}
