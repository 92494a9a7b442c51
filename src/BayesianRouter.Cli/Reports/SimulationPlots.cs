using BayesianRouter.IO;
using BayesianRouter.Simulation;
using ScottPlot;

namespace BayesianRouter.Cli.Reports;

/// <summary>The simulation's PNG plots (ScottPlot, headless), each written atomically.</summary>
public static class SimulationPlots
{
    public const string StreamAccuracyFile = "accuracy_stream.png";
    public const string RoutingShareFile = "routing_share.png";
    public const string AccuracyCostFile = "accuracy_cost.png";

    public static IReadOnlyList<string> WriteAll(SimulationResult r, string dir) =>
    [
        Write(Path.Combine(dir, StreamAccuracyFile), StreamAccuracy(r)),
        Write(Path.Combine(dir, RoutingShareFile), RoutingShare(r)),
        Write(Path.Combine(dir, AccuracyCostFile), AccuracyCost(r)),
    ];

    /// <summary>Accuracy in each window of the stream, one line per method (mean over seeds).</summary>
    public static Plot StreamAccuracy(SimulationResult r)
    {
        var plt = new Plot();
        foreach (var m in r.Methods.Where(m => !m.Name.StartsWith("weighted-score", StringComparison.Ordinal) || m.Name.EndsWith("0.5", StringComparison.Ordinal)))
        {
            var xs = WindowCentres(m.StreamAccuracy.Count, r.PairsOnline);
            var line = plt.Add.ScatterLine(xs, m.StreamAccuracy.ToArray());
            line.LegendText = m.Name;
            line.LineWidth = m.Name == SimulationReport.Main ? 3 : 1.5f;
            if (m.Kind == MethodKind.Oracle) line.LinePattern = LinePattern.Dashed;
        }
        plt.Title($"Annotation accuracy along the stream ({r.Feedback}, split {r.Split}, {r.Seeds.Count} seeds)");
        plt.XLabel("online pairs seen");
        plt.YLabel("accuracy in window");
        plt.ShowLegend(Edge.Right);
        return plt;
    }

    /// <summary>Share of pairs bayesian-router sends to each RM, per window of the stream.</summary>
    public static Plot RoutingShare(SimulationResult r)
    {
        var plt = new Plot();
        var m = r.Methods.FirstOrDefault(x => x.Name == SimulationReport.Main) ?? r.Methods.First(x => x.StreamShare.Count > 0);
        var xs = WindowCentres(m.StreamShare.Count, r.PairsOnline);
        for (int n = 0; n < r.Pool.Count; n++)
        {
            var line = plt.Add.ScatterLine(xs, m.StreamShare.Select(s => s[n]).ToArray());
            line.LegendText = r.Pool[n];
            line.LineWidth = 2;
        }
        plt.Title($"Routing share of {m.Name} over time");
        plt.XLabel("online pairs seen");
        plt.YLabel("share of pairs routed to the RM");
        plt.ShowLegend(Edge.Right);
        return plt;
    }

    /// <summary>Mean accuracy against cost per pair, one point per method.</summary>
    public static Plot AccuracyCost(SimulationResult r)
    {
        var plt = new Plot();
        foreach (var m in r.Methods)
        {
            var p = plt.Add.Marker(m.CostPerPair, m.Accuracy.Mean);
            p.LegendText = m.Name;
            p.Size = m.Name == SimulationReport.Main ? 14 : 9;
        }
        plt.Title("Accuracy against cost per pair");
        plt.XLabel("cost per pair (RM call cost units)");
        plt.YLabel("annotation accuracy (mean over seeds)");
        plt.ShowLegend(Edge.Right);
        return plt;
    }

    /// <summary>The stream position (pairs seen) at the middle of each of <paramref name="windows"/> equal windows.</summary>
    private static double[] WindowCentres(int windows, int pairs) =>
        Enumerable.Range(0, windows).Select(i => (i + 0.5) / windows * pairs).ToArray();

    /// <summary>Writes a plot as a 1100 x 600 PNG, atomically.</summary>
    internal static string Write(string path, Plot plot)
    {
        var bytes = plot.GetImageBytes(1100, 600, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
        return path;
    }
}
