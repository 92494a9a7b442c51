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

    public const string FrontierFile = "accuracy_cost_frontier.png";

    public static IReadOnlyList<string> WriteAll(SimulationResult r, string dir)
    {
        var written = new List<string>
        {
            Write(Path.Combine(dir, StreamAccuracyFile), StreamAccuracy(r)),
            Write(Path.Combine(dir, RoutingShareFile), RoutingShare(r)),
            Write(Path.Combine(dir, AccuracyCostFile), AccuracyCost(r)),
        };
        if (r.Budgets.Count > 0) written.Add(Write(Path.Combine(dir, FrontierFile), Frontier(r), 1300, 750));
        return written;
    }

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
        plt.Title($"Is bayesian-router ahead along the stream? ({r.Feedback}{(SimulationReport.IsOracleFeedback(r) ? ": oracle upper bound" : "")}, split {r.Split}, {r.Seeds.Count} seeds; grey: other methods)");
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
        ShareLines(plt, WindowCentres(m.StreamShare.Count, r.PairsOnline), r.Pool, m.StreamShare);
        plt.Title($"Routing share of {m.Name} over time");
        plt.XLabel("online pairs seen");
        return plt;
    }

    /// <summary>One line per RM of its share of the routed pairs at each x (a window of the stream, a tenth of the steps).</summary>
    internal static void ShareLines(Plot plt, double[] xs, IReadOnlyList<string> pool, IReadOnlyList<IReadOnlyList<double>> shares)
    {
        var palette = new ScottPlot.Palettes.Category10();
        for (int n = 0; n < pool.Count; n++)
        {
            var line = plt.Add.ScatterLine(xs, shares.Select(s => s[n]).ToArray());
            line.LegendText = pool[n];
            line.LineWidth = 2;
            line.Color = palette.GetColor(n);
        }
        plt.YLabel("share of pairs routed to the RM");
        plt.ShowLegend(Edge.Right);
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
            Error = m.Accuracy.HasInterval ? (m.Accuracy.CiHigh - m.Accuracy.CiLow) / 2 : 0,
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

    /// <summary>
    /// The accuracy-cost frontier (budgets): x = realised cost per pair (log scale), y = accuracy. The cost-aware router
    /// over the budgets as a red line (each point labelled with its budget), the threshold router and the random mixture
    /// as lines, every single RM as a labelled green point, the unbudgeted bayesian-router as a red star, and each budget
    /// as a dotted vertical line: a point left of its budget's line spent less than B.
    /// </summary>
    public static Plot Frontier(SimulationResult r)
    {
        var plt = new Plot();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        static double X(double cost) => Math.Log10(Math.Max(cost, 1e-3));
        var budgets = r.Budgets.OrderBy(b => b.Budget).ToList();

        foreach (var b in budgets)
        {
            var line = plt.Add.VerticalLine(X(b.Budget));
            line.Color = Color.FromHex("#808080").WithAlpha(0.6);
            line.LinePattern = LinePattern.Dotted;
            line.LineWidth = 1;
        }

        void Series(string method, string hex, LinePattern pattern, MarkerShape marker, float width, string legend)
        {
            var points = budgets.Select(b => (b.Budget, M: b.Method(method))).Where(p => p.M != null).ToList();
            if (points.Count == 0) return;
            var sc = plt.Add.Scatter(points.Select(p => X(p.M!.CostPerPair)).ToArray(), points.Select(p => p.M!.Accuracy.Mean).ToArray());
            sc.Color = Color.FromHex(hex);
            sc.LineWidth = width;
            sc.LinePattern = pattern;
            sc.MarkerShape = marker;
            sc.MarkerSize = method == SimulationMethods.CostAware ? 11 : 8;
            sc.LegendText = legend;
            if (method != SimulationMethods.CostAware) return;
            foreach (var (budget, m) in points)
            {
                var t = plt.Add.Text(string.Create(inv, $"B={budget:G4}: {m!.Accuracy.Mean:F3}"), X(m.CostPerPair), m.Accuracy.Mean);
                t.LabelFontColor = Color.FromHex(hex);
                t.LabelFontSize = 13;
                t.LabelBold = true;
                t.LabelAlignment = ScottPlot.Alignment.LowerRight;
                t.OffsetY = -8;
            }
        }
        Series(SimulationMethods.Threshold, "#1f77b4", LinePattern.Dashed, MarkerShape.FilledSquare, 2, "threshold (RouteLLM-style, 2 RMs)");
        Series(SimulationMethods.RandomMix, "#ff7f0e", LinePattern.Dashed, MarkerShape.FilledTriangleUp, 2, "random-mix (best mixture of RMs)");
        Series(SimulationMethods.CostAware, "#d62728", LinePattern.Solid, MarkerShape.FilledCircle, 3, "bayesian-router-budget (cost-aware)");

        var singles = r.Methods.Where(m => m.Kind == MethodKind.Single).ToList();
        if (singles.Count > 0)
        {
            var pts = plt.Add.Scatter(singles.Select(m => X(m.CostPerPair)).ToArray(), singles.Select(m => m.Accuracy.Mean).ToArray());
            pts.LineWidth = 0;
            pts.MarkerShape = MarkerShape.FilledDiamond;
            pts.MarkerSize = 11;
            pts.Color = Color.FromHex("#2ca02c");
            pts.LegendText = "single RM";
            foreach (var m in singles)
            {
                var t = plt.Add.Text(string.Create(inv, $"{m.Name["single:".Length..]} {m.Accuracy.Mean:F3}"), X(m.CostPerPair), m.Accuracy.Mean);
                t.LabelFontColor = Color.FromHex("#1b6e1b");
                t.LabelFontSize = 12;
                t.LabelAlignment = ScottPlot.Alignment.UpperLeft;
                t.OffsetX = 6;
                t.OffsetY = 4;
            }
        }
        if (r.Methods.FirstOrDefault(m => m.Name == SimulationReport.Main) is { } free)
        {
            var star = plt.Add.Marker(X(free.CostPerPair), free.Accuracy.Mean);
            star.MarkerShape = MarkerShape.OpenCircle;
            star.MarkerSize = 14;
            star.MarkerLineWidth = 2;
            star.Color = Color.FromHex("#d62728");
            star.LegendText = string.Create(inv, $"bayesian-router, no budget ({free.Accuracy.Mean:F3} at {free.CostPerPair:F1})");
        }

        var costs = r.Methods.Where(m => m.Kind == MethodKind.Single).Select(m => m.CostPerPair)
            .Concat(budgets.SelectMany(b => b.Methods.Select(m => m.CostPerPair))).Concat(budgets.Select(b => b.Budget)).Where(c => c > 0).ToList();
        double lo = costs.Count > 0 ? costs.Min() / 1.5 : 0.5, hi = costs.Count > 0 ? costs.Max() * 3 : 100; // room for the labels on the right
        var ticks = new[] { 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000 }.Where(t => t >= lo && t <= hi).ToArray();
        plt.Axes.Bottom.SetTicks(ticks.Select(X).ToArray(), ticks.Select(t => t.ToString("G", inv)).ToArray());
        var accs = budgets.SelectMany(b => b.Methods.Select(m => m.Accuracy.Mean)).Concat(singles.Select(m => m.Accuracy.Mean)).Where(double.IsFinite).ToList();
        double ylo = accs.Count > 0 ? accs.Min() - 0.02 : 0, yhi = accs.Count > 0 ? Math.Max(accs.Max(), r.Methods.FirstOrDefault(m => m.Name == SimulationReport.Main)?.Accuracy.Mean ?? 0) + 0.02 : 1;
        plt.Axes.SetLimits(X(lo), X(hi), ylo, yhi);
        foreach (var b in budgets)
        {
            var t = plt.Add.Text(string.Create(inv, $"B = {b.Budget:G4}"), X(b.Budget), ylo);
            t.LabelFontColor = Color.FromHex("#606060");
            t.LabelFontSize = 11;
            t.LabelAlignment = ScottPlot.Alignment.LowerCenter;
            t.OffsetY = -3;
        }
        plt.Title(string.Create(inv, $"Accuracy for the money: cost-aware router vs single RMs and baselines (budgets {string.Join(", ", budgets.Select(b => b.Budget.ToString("G4", inv)))}; dotted: budgets)"));
        plt.XLabel("realised cost per pair (log scale; mean over seeds)");
        plt.YLabel("annotation accuracy (mean over seeds)");
        plt.ShowLegend(ScottPlot.Alignment.LowerRight);
        return plt;
    }

    /// <summary>The stream position (pairs seen) at the middle of each of <paramref name="windows"/> equal windows.</summary>
    private static double[] WindowCentres(int windows, int pairs) =>
        Enumerable.Range(0, windows).Select(i => (i + 0.5) / windows * pairs).ToArray();

    /// <summary>Writes a plot as a PNG (1200 x 650 unless given), atomically.</summary>
    internal static string Write(string path, Plot plot, int width = 1200, int height = 650)
    {
        var bytes = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
        return path;
    }
}
