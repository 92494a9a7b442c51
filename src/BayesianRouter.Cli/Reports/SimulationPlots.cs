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

    /// <summary>
    /// The methods each plot shows in colour, in a fixed colour per role: bayesian-router, offline-only, the best single
    /// RM, the best weighted-score alpha, the paper's online model, and the oracle. Every other method is grey.
    /// </summary>
    public static IReadOnlyDictionary<string, Color> Highlighted(SimulationResult r)
    {
        var colours = new Dictionary<string, Color>(StringComparer.Ordinal);
        void Add(string? name, string hex)
        {
            if (name != null && r.Methods.Any(m => m.Name == name)) colours.TryAdd(name, Color.FromHex(hex));
        }
        Add(SimulationReport.Main, "#d62728");
        Add("offline-only", "#1f77b4");
        Add(r.Methods.Any(m => m.Kind == MethodKind.Single) ? r.BestSingle.Name : null, "#2ca02c");
        Add(r.Methods.Where(m => m.Name.StartsWith("weighted-score", StringComparison.Ordinal)).MaxBy(m => m.Accuracy.Mean)?.Name, "#ff7f0e");
        Add(SimulationReport.Main + ":paper", "#9467bd");
        Add(r.Methods.FirstOrDefault(m => m.Kind == MethodKind.Oracle)?.Name, "#000000");
        return colours;
    }

    private static readonly Color Grey = Color.FromHex("#b0b0b0");

    /// <summary>Accuracy in each window of the stream: the highlighted methods in colour (legend), the others in grey.</summary>
    public static Plot StreamAccuracy(SimulationResult r)
    {
        var plt = new Plot();
        var colours = Highlighted(r);
        // grey first, so the coloured lines are drawn on top
        foreach (var m in r.Methods.OrderBy(m => colours.ContainsKey(m.Name)))
        {
            var xs = WindowCentres(m.StreamAccuracy.Count, r.PairsOnline);
            var line = plt.Add.ScatterLine(xs, m.StreamAccuracy.ToArray());
            bool coloured = colours.TryGetValue(m.Name, out var colour);
            line.Color = coloured ? colour : Grey;
            line.LineWidth = m.Name == SimulationReport.Main ? 3 : coloured ? 2 : 1;
            line.MarkerSize = 0;
            if (coloured) line.LegendText = $"{m.Name} ({m.Accuracy.Mean:F3})";
            if (m.Kind == MethodKind.Oracle) line.LinePattern = LinePattern.Dashed;
        }
        plt.Title($"Is bayesian-router ahead along the stream? ({r.Feedback}, split {r.Split}, {r.Seeds.Count} seeds; grey: other methods)");
        plt.XLabel("online pairs seen");
        plt.YLabel("accuracy in window (mean over seeds)");
        plt.ShowLegend(Edge.Right);
        return plt;
    }

    /// <summary>Share of pairs bayesian-router sends to each RM, per window of the stream.</summary>
    public static Plot RoutingShare(SimulationResult r)
    {
        var plt = new Plot();
        var m = r.Methods.FirstOrDefault(x => x.Name == SimulationReport.Main) ?? r.Methods.First(x => x.StreamShare.Count > 0);
        var xs = WindowCentres(m.StreamShare.Count, r.PairsOnline);
        var palette = new ScottPlot.Palettes.Category10();
        for (int n = 0; n < r.Pool.Count; n++)
        {
            var line = plt.Add.ScatterLine(xs, m.StreamShare.Select(s => s[n]).ToArray());
            line.LegendText = r.Pool[n];
            line.LineWidth = 2;
            line.Color = palette.GetColor(n);
        }
        plt.Title($"Routing share of {m.Name} over time");
        plt.XLabel("online pairs seen");
        plt.YLabel("share of pairs routed to the RM");
        plt.ShowLegend(Edge.Right);
        return plt;
    }

    /// <summary>
    /// Mean accuracy of every method as a labelled horizontal bar (best on top) with its 95% interval over seeds and its
    /// cost per pair in the label: which method labels best, and at what cost, at a glance.
    /// </summary>
    public static Plot AccuracyCost(SimulationResult r)
    {
        var plt = new Plot();
        var colours = Highlighted(r);
        var methods = r.Methods.OrderBy(m => m.Accuracy.Mean).ToList();
        var bars = methods.Select((m, i) => new Bar
        {
            Position = i,
            Value = m.Accuracy.Mean,
            Error = (m.Accuracy.CiHigh - m.Accuracy.CiLow) / 2,
            FillColor = colours.TryGetValue(m.Name, out var c) ? c : Grey,
            Orientation = Orientation.Horizontal,
        }).ToList();
        plt.Add.Bars(bars);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        plt.Axes.Left.SetTicks(Enumerable.Range(0, methods.Count).Select(i => (double)i).ToArray(),
            methods.Select(m => string.Create(inv, $"{m.Name}  {m.Accuracy.Mean:F3}  (cost {m.CostPerPair:0.##})")).ToArray());
        double lo = Math.Max(0, methods.Where(m => double.IsFinite(m.Accuracy.Mean)).Min(m => m.Accuracy.Mean) - 0.05);
        plt.Axes.SetLimitsX(lo, 1.0);
        plt.Title("Which method labels best, and at what cost per pair (bars: mean accuracy, whiskers: 95% interval)");
        plt.XLabel("annotation accuracy (mean over seeds)");
        return plt;
    }

    /// <summary>The stream position (pairs seen) at the middle of each of <paramref name="windows"/> equal windows.</summary>
    private static double[] WindowCentres(int windows, int pairs) =>
        Enumerable.Range(0, windows).Select(i => (i + 0.5) / windows * pairs).ToArray();

    /// <summary>Writes a plot as a 1100 x 600 PNG, atomically.</summary>
    internal static string Write(string path, Plot plot)
    {
        var bytes = plot.GetImageBytes(1200, 650, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
        return path;
    }
}
