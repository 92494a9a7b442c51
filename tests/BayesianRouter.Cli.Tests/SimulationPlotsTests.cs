using BayesianRouter.Cli.Reports;
using BayesianRouter.Simulation;

namespace BayesianRouter.Cli.Tests;

public class SimulationPlotsTests
{
    private static MethodResult Method(string name, MethodKind kind, double accuracy, double cost = 1) => new()
    {
        Name = name, Kind = kind, AccuracyPerSeed = [accuracy, accuracy], Accuracy = Summary.Of([accuracy - 0.01, accuracy + 0.01]),
        WeightedAccuracy = accuracy, RmCallsPerPair = cost, CostPerPair = cost, Share = new Dictionary<string, double>(),
        StreamAccuracy = [accuracy, accuracy], StreamShare = [], Domains = new Dictionary<string, DomainAccuracy>(),
    };

    private static SimulationResult Result() => new()
    {
        Pool = ["a", "b"], Seeds = [1, 2], Feedback = "truth", Split = "random", BatchSize = 64, OfflineFraction = 0.5,
        SeparateOfflinePairs = false, PairsOnlinePerSeed = [100, 100], PairsOfflinePerSeed = [100, 100],
        Methods =
        [
            Method("single:a", MethodKind.Single, 0.70), Method("single:b", MethodKind.Single, 0.72), Method("random", MethodKind.Router, 0.6),
            Method("majority", MethodKind.Ensemble, 0.69, 2), Method("offline-only", MethodKind.Router, 0.73),
            Method("bayesian-router", MethodKind.Router, 0.76), Method("weighted-score:0.5", MethodKind.Router, 0.74),
            Method("weighted-score:0.75", MethodKind.Router, 0.745), Method("oracle", MethodKind.Oracle, 0.9),
        ],
    };

    [Fact]
    public void TheMethodsThatMatterHaveDistinctColoursAndTheRestNone()
    {
        var colours = SimulationPlots.Highlighted(Result());
        Assert.Equal(new[] { "bayesian-router", "offline-only", "single:b", "weighted-score:0.75", "oracle" }, colours.Keys);
        Assert.Equal(colours.Count, colours.Values.Distinct().Count());
    }

    [Fact]
    public void AccuracyCostLabelsEveryMethodWithItsAccuracyAndCost()
    {
        var plot = SimulationPlots.AccuracyCost(Result());
        plot.GetImageBytes(800, 400, ScottPlot.ImageFormat.Png);   // ticks are laid out when the plot is drawn
        var labels = plot.Axes.Left.TickGenerator.Ticks.Select(t => t.Label).Where(l => l.Length > 0).ToList();
        Assert.Equal(9, labels.Count);
        Assert.Equal("oracle  0.900  (cost 1)", labels.Last());                 // best on top
        Assert.Contains("majority  0.690  (cost 2)", labels);
    }

    [Fact]
    public void StreamLegendNamesOnlyTheHighlightedMethods()
    {
        var plot = SimulationPlots.StreamAccuracy(Result());
        var legend = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => s.LegendText).Where(t => !string.IsNullOrEmpty(t)).ToList();
        Assert.Equal(5, legend.Count);
        Assert.Contains("bayesian-router (0.760)", legend);
        Assert.DoesNotContain(legend, l => l.StartsWith("random", StringComparison.Ordinal));
    }
}
